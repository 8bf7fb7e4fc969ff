"""A local HTTP server that speaks Gemini's REST generateContent, for the real SDK to call."""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ENDPOINT = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")


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
    usage: dict[str, int] | None = None,
) -> Reply:
    """A successful answer: optional text, then the image as an inline base64 part."""
    parts: list[dict[str, Any]] = [{"text": text}] if text else []
    parts.append({"inlineData": {"mimeType": mime_type, "data": base64.b64encode(image).decode()}})
    return Reply(
        body={
            "candidates": [
                {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": usage
            or {"promptTokenCount": 1290, "candidatesTokenCount": 1290, "totalTokenCount": 2580},
            "modelVersion": "gemini-2.5-flash-image",
        }
    )


def error_reply(status: int, message: str, api_status: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "status": api_status}})


class FakeGemini:
    """Serves scripted replies in order (the default reply when the script is empty)
    and records every request it receives."""

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply(body={"candidates": []})
        self.script: list[Reply] = []
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
                reply = fake._next()
                if not ENDPOINT.match(self.path.split("?")[0]):
                    reply = error_reply(404, f"no route {self.path}", "NOT_FOUND")
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
