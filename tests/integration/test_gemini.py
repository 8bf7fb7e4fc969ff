"""The Gemini adapter, through the real google-genai SDK, against a local fake endpoint."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from profilephoto.adapters.gemini import GeminiImageGenerator
from profilephoto.adapters.gemini_pricing import ModelPrice, PriceTable
from profilephoto.domain.errors import (
    ContentBlocked,
    GenerationError,
    GenerationFailed,
    ModelAccessDenied,
    ModelUnavailable,
    TransientGenerationError,
)
from profilephoto.domain.models import ImageData
from profilephoto.domain.styles import StyleCatalog
from tests.integration.fake_gemini import (
    GEMINI3_USAGE,
    FakeGemini,
    Reply,
    bad_key,
    error_reply,
    finished_without_image,
    image_reply,
    not_found,
)

KEY = "AIzaSy-test-key-0123456789abcdef"
MODEL = "gemini-nano-banana-2.1"
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


def generator(timeout: float = 5.0, **options) -> GeminiImageGenerator:
    return GeminiImageGenerator(api_key=KEY, model_name=MODEL, timeout_seconds=timeout, **options)


def blocked(finish_reason: str) -> Reply:
    return finished_without_image(finish_reason)


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
    assert result.cost_usd == PriceTable().cost(MODEL, result.usage)


def test_the_cost_comes_from_the_price_table_the_generator_is_given(fake):
    fake.then(image_reply(RESULT, usage=GEMINI3_USAGE))
    prices = PriceTable({MODEL: ModelPrice(input=1.0, text_output=2.0, image_output=3.0)})

    result = generator(prices=prices).generate([PHOTO], STYLE)

    assert result.cost_usd == (1390 * 1.0 + 233 * 2.0 + 1120 * 3.0) / 1e6


def test_a_gemini_3_answer_gives_its_final_image_and_token_counts_by_modality(fake):
    fake.then(image_reply(RESULT, text="Here you are.", usage=GEMINI3_USAGE, drafts=2))

    result = generator().generate([PHOTO], STYLE)

    assert result.data == RESULT  # not a draft from the model's thinking
    assert result.usage == {
        "promptTokens": 1390,
        "promptTextTokens": 270,
        "promptImageTokens": 1120,
        "outputTokens": 1120,
        "outputImageTokens": 1120,
        "thoughtsTokens": 233,
        "totalTokens": 2743,
    }


def test_the_request_the_sdk_sends_is_exactly_what_the_model_request_calls_for(fake):
    main = PHOTO
    side = ImageData(data=b"\xff\xd8\xffside", content_type="image/jpeg")
    profile = ImageData(data=b"\x89PNG\r\n\x1a\nprofile", content_type="image/png")

    generator(image_size="2K").generate([main, side, profile], STYLE, aspect_ratio="4:5")

    [request] = fake.received
    assert request.path == f"/v1beta/models/{MODEL}:generateContent"
    assert request.headers["x-goog-api-key"] == KEY
    [content] = request.body["contents"]
    assert content["role"] == "user"
    images, instruction = content["parts"][:3], content["parts"][3]
    # The SDK writes the blob's mime type in snake_case; the REST API accepts both spellings.
    assert [
        (request.decode(p["inlineData"]["data"]), p["inlineData"]["mime_type"]) for p in images
    ] == [
        (main.data, "image/jpeg"),
        (side.data, "image/jpeg"),
        (profile.data, "image/png"),
    ]
    assert [p["mediaResolution"] for p in images] == [
        {"level": "MEDIA_RESOLUTION_HIGH"},
        {"level": "MEDIA_RESOLUTION_MEDIUM"},
        {"level": "MEDIA_RESOLUTION_MEDIUM"},
    ]
    assert list(instruction) == ["text"]
    assert instruction["text"].startswith("The first photo is the main photo")
    assert instruction["text"].endswith(STYLE.prompt)
    assert request.body["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "4:5", "imageSize": "2K"},
    }


def test_by_default_the_image_is_asked_for_at_1k_and_square(fake):
    generator().generate([PHOTO], STYLE)
    config = fake.received[0].body["generationConfig"]
    assert config["imageConfig"] == {"aspectRatio": "1:1", "imageSize": "1K"}


def test_a_model_that_answers_404_is_replaced_by_the_next_fallback_in_the_same_call(fake):
    fake.models = {"gemini-3-pro-image"}

    result = generator(fallbacks=["gemini-3-pro-image"]).generate([PHOTO], STYLE)

    assert result.model == "gemini-3-pro-image"
    assert [r.path.split(":")[0] for r in fake.received] == [
        f"/v1beta/models/{MODEL}",
        "/v1beta/models/gemini-3-pro-image",
    ]


def test_when_every_model_answers_404_the_model_is_unavailable_and_the_operator_is_told(
    fake, caplog
):
    fake.models = set()
    caplog.set_level(logging.ERROR)
    with pytest.raises(ModelUnavailable) as raised:
        generator(fallbacks=["old-a", "old-b"]).generate([PHOTO], STYLE)
    assert raised.value.code == "model_unavailable"
    assert len(fake.received) == 3
    assert any(getattr(r, "operatorError", False) for r in caplog.records)


@pytest.mark.parametrize("reply", [error_reply(403, "denied", "PERMISSION_DENIED"), bad_key()])
def test_a_refused_key_is_an_operator_error_logged_loudly(fake, caplog, reply):
    fake.then(reply)
    caplog.set_level(logging.WARNING)
    with pytest.raises(ModelAccessDenied):
        generator().generate([PHOTO], STYLE)
    [record] = [r for r in caplog.records if getattr(r, "operatorError", False)]
    assert record.levelno == logging.ERROR
    assert "GEMINI_API_KEY" in record.getMessage()


def test_models_get_says_whether_a_model_exists_for_the_key(fake):
    fake.models = {MODEL}
    gemini = generator()
    assert gemini.model_exists(MODEL) is True
    assert gemini.model_exists("gemini-2.5-flash-image") is False
    assert [r.path for r in fake.received] == [
        f"/v1beta/models/{MODEL}",
        "/v1beta/models/gemini-2.5-flash-image",
    ]


def test_models_get_with_a_refused_key_is_access_denied(fake):
    fake.then(bad_key())
    with pytest.raises(ModelAccessDenied):
        generator().model_exists(MODEL)


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


def test_an_answer_with_only_draft_images_has_no_result(fake):
    answer = image_reply(RESULT, drafts=2)
    parts = answer.body["candidates"][0]["content"]["parts"]  # type: ignore[index]
    del parts[-1]  # the final image: what is left is the model's thinking
    fake.then(answer)
    with pytest.raises(GenerationFailed, match="no image"):
        generator().generate([PHOTO], STYLE)


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
        ModelAccessDenied,
    ),
    "401 unauthenticated": (
        error_reply(401, "Request had invalid credentials", "UNAUTHENTICATED"),
        ModelAccessDenied,
    ),
    "400 key not valid": (bad_key(), ModelAccessDenied),
    "404 model gone": (not_found(MODEL), ModelUnavailable),
    "IMAGE_PROHIBITED_CONTENT finish": (blocked("IMAGE_PROHIBITED_CONTENT"), ContentBlocked),
    "blocked prompt": (Reply(body={"promptFeedback": {"blockReason": "SAFETY"}}), ContentBlocked),
    "prohibited prompt": (
        Reply(body={"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}),
        ContentBlocked,
    ),
    "SAFETY finish": (blocked("SAFETY"), ContentBlocked),
    "IMAGE_SAFETY finish": (blocked("IMAGE_SAFETY"), ContentBlocked),
    "PROHIBITED_CONTENT finish": (blocked("PROHIBITED_CONTENT"), ContentBlocked),
    "text only": (text_only("I can't edit photos of people."), GenerationFailed),
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


@pytest.mark.parametrize("reason", ["NO_IMAGE", "IMAGE_OTHER"])
def test_an_answer_without_an_image_is_asked_again_once_and_the_second_answer_counts(fake, reason):
    fake.then(finished_without_image(reason, "Let me try that."), image_reply(RESULT))
    assert generator().generate([PHOTO], STYLE).data == RESULT
    assert len(fake.received) == 2


def test_the_tokens_of_an_answer_without_an_image_are_counted_with_the_retry(fake):
    no_image = finished_without_image("NO_IMAGE")
    no_image.body["usageMetadata"] = {"promptTokenCount": 1390, "totalTokenCount": 1500}  # type: ignore[index]
    fake.then(no_image, image_reply(RESULT, usage=GEMINI3_USAGE))
    usage = generator().generate([PHOTO], STYLE).usage
    assert usage["promptTokens"] == 2 * 1390  # both calls are billed
    assert usage["outputImageTokens"] == 1120
    assert usage["totalTokens"] == 1500 + 2743


@pytest.mark.parametrize("reason", ["NO_IMAGE", "IMAGE_OTHER"])
def test_two_answers_without_an_image_fail_the_job_naming_the_reason(fake, reason):
    fake.then(finished_without_image(reason, "Sorry."), finished_without_image(reason))
    with pytest.raises(GenerationFailed, match=reason) as raised:
        generator().generate([PHOTO], STYLE)
    assert type(raised.value) is GenerationFailed
    assert raised.value.code == "generation_failed"
    assert len(fake.received) == 2


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


def quota_exhausted(retry_delay: object) -> Reply:
    """A 429 as Gemini sends it (googleapis/python-genai#1875): RetryInfo in error.details."""
    details = [
        {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay},
    ]
    body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota. Please retry in 53.016342224s.",
            "status": "RESOURCE_EXHAUSTED",
            "details": details,
        }
    }
    return Reply(429, body)


@pytest.mark.parametrize(
    ("retry_delay", "expected"),
    [("53s", timedelta(seconds=53)), ("12.771204034s", timedelta(seconds=12.771204))],
)
def test_a_429_carries_the_retry_delay_the_model_asked_for(fake, retry_delay, expected):
    fake.then(quota_exhausted(retry_delay))

    with pytest.raises(TransientGenerationError) as raised:
        generator().generate([PHOTO], STYLE)

    assert raised.value.throttled
    assert abs(raised.value.retry_after - expected) < timedelta(milliseconds=1)


@pytest.mark.parametrize("retry_delay", ["soon", 53, "-4s", None])
def test_a_429_whose_retry_delay_does_not_parse_is_throttling_without_a_hint(fake, retry_delay):
    fake.then(quota_exhausted(retry_delay))

    with pytest.raises(TransientGenerationError) as raised:
        generator().generate([PHOTO], STYLE)

    assert (raised.value.throttled, raised.value.retry_after) == (True, None)


def test_a_503_is_transient_but_not_throttling(fake):
    fake.then(error_reply(503, "The model is overloaded", "UNAVAILABLE"))

    with pytest.raises(TransientGenerationError) as raised:
        generator().generate([PHOTO], STYLE)

    assert (raised.value.throttled, raised.value.retry_after) == (False, None)
