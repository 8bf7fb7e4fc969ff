"""The Gemini adapter, through the real google-genai SDK, against a local fake endpoint."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest

from profilephoto.adapters.gemini import GeminiImageGenerator
from profilephoto.domain.errors import (
    ContentBlocked,
    GenerationError,
    GenerationFailed,
    TransientGenerationError,
)
from profilephoto.domain.models import ImageData
from profilephoto.domain.styles import StyleCatalog
from tests.integration.fake_gemini import FakeGemini, Reply, error_reply, image_reply

KEY = "AIzaSy-test-key-0123456789abcdef"
MODEL = "gemini-2.5-flash-image"
PHOTO = ImageData(data=b"\xff\xd8\xff\xe0normalized-selfie", content_type="image/jpeg")
RESULT = b"\x89PNG\r\n\x1a\nstyled-portrait"
STYLE = StyleCatalog().get("professional")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    server = FakeGemini(default=image_reply(RESULT)).start()
    # The SDK's own setting decides where it connects; the adapter hard-codes no URL.
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    yield server
    server.stop()


def generator(timeout: float = 5.0) -> GeminiImageGenerator:
    return GeminiImageGenerator(api_key=KEY, model_name=MODEL, timeout_seconds=timeout)


def blocked(finish_reason: str) -> Reply:
    return Reply(body={"candidates": [{"finishReason": finish_reason, "index": 0}]})


def text_only(text: str, finish_reason: str = "STOP") -> Reply:
    content = {"role": "model", "parts": [{"text": text}]}
    return Reply(body={"candidates": [{"content": content, "finishReason": finish_reason}]})


def test_a_generated_image_comes_back_with_the_model_and_its_token_counts(fake):
    usage = {"promptTokenCount": 1300, "candidatesTokenCount": 1290, "totalTokenCount": 2590}
    fake.then(image_reply(RESULT, text="Here is your portrait.", usage=usage))

    result = generator().generate([PHOTO], STYLE)

    assert result.data == RESULT
    assert result.content_type == "image/png"
    assert result.model == MODEL
    assert result.usage == {"promptTokens": 1300, "outputTokens": 1290, "totalTokens": 2590}


def test_the_request_carries_the_photo_the_style_prompt_and_the_key_header(fake):
    generator().generate([PHOTO], STYLE)

    [request] = fake.received
    assert request.path == f"/v1beta/models/{MODEL}:generateContent"
    assert request.headers["x-goog-api-key"] == KEY
    assert request.inline_image() == (PHOTO.data, "image/jpeg")
    assert request.prompt() == STYLE.prompt
    config = request.body["generationConfig"]
    assert "IMAGE" in config["responseModalities"]
    assert config["imageConfig"]["aspectRatio"] == "1:1"


def test_the_photo_is_sent_before_the_instruction(fake):
    generator().generate([PHOTO], STYLE)
    assert ["inlineData" in part for part in fake.received[0].parts()] == [True, False]


def test_several_photos_go_in_order_before_the_instruction_with_the_aspect_ratio(fake):
    side = ImageData(data=b"\xff\xd8\xff\xe0side-view", content_type="image/jpeg")
    generator().generate([PHOTO, side], STYLE, aspect_ratio="4:5")

    [request] = fake.received
    sent = [p["inlineData"]["data"] for p in request.parts() if "inlineData" in p]
    assert [request.decode(data) for data in sent] == [PHOTO.data, side.data]
    assert "text" in request.parts()[-1]
    assert request.body["generationConfig"]["imageConfig"]["aspectRatio"] == "4:5"


def test_the_first_inline_image_is_the_result(fake):
    answer = image_reply(RESULT, text="First a word.")
    answer.body["candidates"][0]["content"]["parts"].append(  # type: ignore[index]
        {"inlineData": {"mimeType": "image/png", "data": "c2Vjb25k"}}
    )
    fake.then(answer)
    assert generator().generate([PHOTO], STYLE).data == RESULT


def test_a_draft_image_from_the_models_thinking_is_not_the_result(fake):
    answer = image_reply(RESULT)
    draft = {"inlineData": {"mimeType": "image/png", "data": "ZHJhZnQ="}, "thought": True}
    answer.body["candidates"][0]["content"]["parts"].insert(0, draft)  # type: ignore[index]
    fake.then(answer)
    assert generator().generate([PHOTO], STYLE).data == RESULT


def test_the_client_is_built_once_and_its_connection_reused(fake):
    gemini = generator()
    gemini.generate([PHOTO], STYLE)
    gemini.generate([PHOTO], STYLE)
    assert len(fake.received) == 2
    assert fake.received[0].client_port == fake.received[1].client_port


def test_building_the_generator_makes_no_request(fake):
    generator()
    assert fake.received == []


OUTCOMES = {
    "429 throttled": (
        error_reply(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED"),
        TransientGenerationError,
    ),
    "500 internal": (error_reply(500, "Internal error", "INTERNAL"), TransientGenerationError),
    "503 overloaded": (error_reply(503, "Overloaded", "UNAVAILABLE"), TransientGenerationError),
    "500 not even json": (Reply(500, b"<html>bad gateway</html>"), TransientGenerationError),
    "400 bad request": (
        error_reply(400, "Request contains an invalid argument.", "INVALID_ARGUMENT"),
        GenerationFailed,
    ),
    "403 key refused": (
        error_reply(403, "Permission denied", "PERMISSION_DENIED"),
        GenerationFailed,
    ),
    "blocked prompt": (Reply(body={"promptFeedback": {"blockReason": "SAFETY"}}), ContentBlocked),
    "prohibited prompt": (
        Reply(body={"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}),
        ContentBlocked,
    ),
    "SAFETY finish": (blocked("SAFETY"), ContentBlocked),
    "IMAGE_SAFETY finish": (blocked("IMAGE_SAFETY"), ContentBlocked),
    "PROHIBITED_CONTENT finish": (blocked("PROHIBITED_CONTENT"), ContentBlocked),
    "text only": (text_only("I can't edit photos of people."), GenerationFailed),
    "NO_IMAGE finish": (text_only("No.", "NO_IMAGE"), GenerationFailed),
    "no candidates": (Reply(body={"candidates": []}), GenerationFailed),
    "malformed json": (Reply(200, b'{"candidates": [{"content": '), TransientGenerationError),
}


@pytest.mark.parametrize(("reply", "expected"), OUTCOMES.values(), ids=list(OUTCOMES))
def test_each_answer_maps_to_its_domain_outcome(fake, reply, expected):
    fake.then(reply)
    with pytest.raises(expected) as raised:
        generator().generate([PHOTO], STYLE)
    assert type(raised.value) is expected
    assert len(fake.received) == 1  # the SDK does not retry behind the queue's back


def test_a_text_only_answer_carries_the_models_words(fake):
    fake.then(text_only("I can't change a person's identity."))
    with pytest.raises(GenerationFailed, match="identity"):
        generator().generate([PHOTO], STYLE)


def test_a_no_image_finish_reason_is_named_in_the_failure(fake):
    fake.then(text_only("Sorry.", "NO_IMAGE"))
    with pytest.raises(GenerationFailed, match="NO_IMAGE"):
        generator().generate([PHOTO], STYLE)


def test_an_answer_slower_than_the_timeout_is_transient(fake):
    fake.then(Reply(delay=5.0))
    started = time.monotonic()
    with pytest.raises(TransientGenerationError, match="timed out"):
        generator(timeout=0.5).generate([PHOTO], STYLE)
    assert time.monotonic() - started < 3.0


def test_an_unreachable_endpoint_is_transient(monkeypatch):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(TransientGenerationError, match="could not be reached"):
        generator().generate([PHOTO], STYLE)


LEAKY = {
    "error echoing the key": error_reply(400, f"API key {KEY} not valid", "INVALID_ARGUMENT"),
    "text echoing the key": text_only(f"Your key is {KEY}"),
    "throttled": error_reply(429, f"quota for {KEY}", "RESOURCE_EXHAUSTED"),
    "slow": Reply(delay=5.0),
}


@pytest.mark.parametrize("reply", LEAKY.values(), ids=list(LEAKY))
def test_the_api_key_never_shows_in_errors_or_logs(fake, caplog, reply):
    fake.then(reply)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(GenerationError) as raised:
        generator(timeout=0.5).generate([PHOTO], STYLE)
    error = raised.value
    assert KEY not in str(error) and KEY not in repr(error) and KEY not in error.message
    assert error.__cause__ is None  # no SDK error (with its request headers) chained
    assert error.__context__ is None or error.__suppress_context__
    assert KEY not in caplog.text
    assert KEY not in repr(generator())


def test_a_generator_without_a_key_is_refused_at_construction():
    with pytest.raises(ValueError, match="GEMINI_API_KEY"):
        GeminiImageGenerator(api_key="", model_name=MODEL, timeout_seconds=5)
