"""A local HTTP server that speaks Gemini's REST generateContent and models.get, for the real SDK.

The answers are shaped like Gemini 3 image responses; the default model is
`gemini-nano-banana-2.1`, which Google's changelog (ai.google.dev/gemini-api/docs/changelog,
2026-10-06 entry, read 2026-12-03) calls an update of Nano Banana 2 with the same request
and answer, 1K/2K/4K only, so its answers keep 3.1's shape; its 1K image is 1,120 output
tokens, as 3.1's ($0.0336 at $30 per million, docs/gemini.md). Sources, read 2026-11-30:
- the google-genai SDK's own types (google/genai/types.py in googleapis/python-genai):
  `Part.thought`, `Part.thought_signature` (bytes, base64 on the wire), `FinishReason`
  (`IMAGE_SAFETY`, `IMAGE_PROHIBITED_CONTENT`, `IMAGE_OTHER`, `NO_IMAGE`...),
  `GenerateContentResponseUsageMetadata` with `thoughtsTokenCount`, `promptTokensDetails`
  and `candidatesTokensDetails` (lists of `{"modality", "tokenCount"}`);
- the SDK's tests: tests/client/test_async_stream.py (a part carrying `thoughtSignature`
  next to its content) and tests/live/test_live_response.py (`usageMetadata` with
  `candidatesTokensDetails`);
- Google's image generation guide (ai.google.dev/gemini-api/docs/nanobanana): Gemini 3
  image models think first and may show draft images as thought parts before the final
  one; the Vertex AI model page for Gemini 3.1 Flash Image: a 1K image is 1,120 output
  tokens; the media resolution guide: an input image at high resolution is 1,120 tokens.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ENDPOINT = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")
MODEL = re.compile(r"^/v1beta/models/(?P<model>[^/:]+)$")
# A thought signature is opaque bytes; the SDK decodes it from base64 into Part.thought_signature.
SIGNATURE = base64.b64encode(b"opaque-thought-signature-" + bytes(range(32))).decode()


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    client_port: int

    def parts(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = self.body["contents"][0]["parts"]
        return parts

    def inline_image(self) -> tuple[bytes, str]:
        blob = next(p for p in self.parts() if "inlineData" in p)["inlineData"]
        return self.decode(blob["data"]), blob.get("mimeType") or blob.get("mime_type")

    @staticmethod
    def decode(data: str) -> bytes:
        # The SDK sends URL-safe base64; the REST docs show the standard alphabet.
        return base64.urlsafe_b64decode(data.replace("+", "-").replace("/", "_"))

    def prompt(self) -> str:
        return " ".join(p["text"] for p in self.parts() if "text" in p)


def image_reply(
    image: bytes,
    mime_type: str = "image/png",
    text: str | None = None,
    usage: dict[str, Any] | None = None,
    *,
    drafts: int = 0,
    model_version: str = "gemini-nano-banana-2.1",
) -> Reply:
    """A Gemini 3 answer: a thought summary and `drafts` thought images first (as the model
    shows its thinking), then optional text, then the final image with its signature."""
    parts: list[dict[str, Any]] = []
    if drafts:
        parts.append({"text": "**Composing the portrait**\nKeeping the face...", "thought": True})
        draft = base64.b64encode(b"\x89PNG\r\n\x1a\ndraft").decode()
        parts += [
            {"inlineData": {"mimeType": "image/png", "data": draft}, "thought": True}
        ] * drafts
    if text:
        parts.append({"text": text})
    parts.append(
        {
            "inlineData": {"mimeType": mime_type, "data": base64.b64encode(image).decode()},
            "thoughtSignature": SIGNATURE,
        }
    )
    return Reply(
        body={
            "candidates": [
                {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": usage or GEMINI3_USAGE,
            "modelVersion": model_version,
            "responseId": "fake-response-1",
        }
    )


# One 1K image from one high-resolution photo and a ~270-token prompt.
GEMINI3_USAGE: dict[str, Any] = {
    "promptTokenCount": 1390,
    "candidatesTokenCount": 1120,
    "totalTokenCount": 2743,
    "thoughtsTokenCount": 233,
    "promptTokensDetails": [
        {"modality": "TEXT", "tokenCount": 270},
        {"modality": "IMAGE", "tokenCount": 1120},
    ],
    "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1120}],
}


def finished_without_image(finish_reason: str, text: str | None = None) -> Reply:
    """An answer that ends with `finish_reason` and no image (blocked, NO_IMAGE...)."""
    candidate: dict[str, Any] = {"finishReason": finish_reason, "index": 0}
    if text:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    return Reply(body={"candidates": [candidate], "modelVersion": "gemini-nano-banana-2.1"})


# The names Google's changelog gives each image model (2026-05-28, 2026-10-06 entries).
DISPLAY_NAMES = {
    "gemini-nano-banana-2.1": "Nano Banana 2.1",
    "gemini-3.1-flash-image": "Nano Banana 2",
    "gemini-3-pro-image": "Nano Banana Pro",
}
# Sizes a model refuses with 400 (2.1 offers 1K, 2K and 4K; resellers' docs report the
# 400 for "512").
REFUSED_SIZES = {"gemini-nano-banana-2.1": {"512"}}


def model_reply(name: str) -> Reply:
    """models.get: the model's description, as the REST reference shows it."""
    return Reply(
        body={
            "name": f"models/{name}",
            "displayName": DISPLAY_NAMES.get(name, name),
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        }
    )


def error_reply(status: int, message: str, api_status: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "status": api_status}})


def not_found(model: str) -> Reply:
    """What the API answers for a retired or unknown model."""
    return error_reply(
        404,
        f"models/{model} is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models.",
        "NOT_FOUND",
    )


def bad_key() -> Reply:
    """What the API answers for a wrong key: 400 with reason API_KEY_INVALID, not 401."""
    reply = error_reply(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT")
    reply.body["error"]["details"] = [  # type: ignore[index]
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
        }
    ]
    return reply


def _size(body: dict[str, Any]) -> str | None:
    config = body.get("generationConfig") or {}
    image = config.get("imageConfig") or {}
    return image.get("imageSize")


class FakeGemini:
    """Serves scripted replies in order (the default reply when the script is empty)
    and records every request it receives."""

    def __init__(self, default: Reply | None = None, models: set[str] | None = None) -> None:
        self.default = default or Reply(body={"candidates": []})
        self.script: list[Reply] = []
        # Models that exist: generateContent or models.get on any other answers 404, as the
        # real API does for a retired or unknown model. None: every model exists.
        self.models = models
        self.received: list[Received] = []
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def then(self, *replies: Reply) -> FakeGemini:
        self.script.extend(replies)
        return self

    def start(self) -> FakeGemini:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any reply still waiting out its delay
        self._server.shutdown()
        self._server.server_close()

    def _next(self) -> Reply:
        return self.script.pop(0) if self.script else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoint does

            def do_GET(self) -> None:
                fake.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, {}, 0)
                )
                found = MODEL.match(self.path.split("?")[0])
                if not found:
                    self._send(error_reply(404, f"no route {self.path}", "NOT_FOUND"))
                elif fake.models is not None and found["model"] not in fake.models:
                    self._send(not_found(found["model"]))
                else:
                    self._send(fake.script.pop(0) if fake.script else model_reply(found["model"]))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"unparsable": raw.decode(errors="replace")}
                fake.received.append(
                    Received(
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        self.client_address[1],
                    )
                )
                found = ENDPOINT.match(self.path.split("?")[0])
                if not found:
                    reply = error_reply(404, f"no route {self.path}", "NOT_FOUND")
                elif fake.models is not None and found["model"] not in fake.models:
                    reply = not_found(found["model"])
                elif _size(body) in REFUSED_SIZES.get(found["model"], ()):
                    reply = error_reply(
                        400,
                        f"imageSize {_size(body)} is not supported by this model",
                        "INVALID_ARGUMENT",
                    )
                else:
                    reply = fake._next()
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    fake._stopping.wait(reply.delay)
                payload = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): that is the point of the test

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
