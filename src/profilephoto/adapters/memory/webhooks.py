"""A webhook sender that records what it would have POSTed, and a resolver told its names."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from profilephoto.adapters.webhooks.signing import WebhookSigner
from profilephoto.domain.errors import WebhookUnreachable
from profilephoto.domain.webhooks import host_and_port, refusal

# For tests only: a valid Standard Webhooks secret that everybody knows.
TEST_SECRET = "whsec_cHJvZmlsZXBob3RvLXRlc3Qtd2ViaG9vay1zZWNyZXQ="


@dataclass(frozen=True)
class SentWebhook:
    url: str
    headers: dict[str, str]
    body: bytes


# A public address any name not in a StaticResolver's table stands for; nothing connects to
# it (example.com's, 2026).
PUBLIC_ADDRESS = "93.184.215.14"


class StaticResolver:
    """AddressResolver from a table (`names`, e.g. {"localhost": ["127.0.0.1"]}); an IP
    literal resolves to itself, any other name to `default` ([] when None)."""

    def __init__(
        self, names: dict[str, list[str]] | None = None, default: str | None = PUBLIC_ADDRESS
    ) -> None:
        self.names = {"localhost": ["127.0.0.1", "::1"], **(names or {})}
        self.default = default

    def addresses(self, host: str, port: int) -> list[str]:
        if refusal(host) != "not an IP address":
            return [host]
        if host in self.names:
            return list(self.names[host])
        return [self.default] if self.default else []


class RecordingWebhookSender:
    """`sent` holds every attempt, signed as the HTTP sender signs it; each answers the next
    of `answer(...)`'s statuses (None: no answer, WebhookUnreachable), then 200. With a
    resolver, a URL whose host resolves to an address the SSRF rule refuses is not sent."""

    def __init__(
        self,
        secret: str = TEST_SECRET,
        resolver: StaticResolver | None = None,
        *,
        allow_private: bool = False,
    ) -> None:
        self.sent: list[SentWebhook] = []
        self._signer = WebhookSigner(secret)
        self._resolver, self._allow_private = resolver, allow_private
        self._answers: deque[int | None] = deque()
        self._lock = threading.Lock()

    def answer(self, *statuses: int | None) -> None:
        """The answers of the next attempts, in order."""
        with self._lock:
            self._answers.extend(statuses)

    def send(self, url: str, message_id: str, body: bytes) -> int:
        if not self._allow_private:
            resolver = self._resolver or StaticResolver()
            for address in resolver.addresses(*host_and_port(url)):
                if (reason := refusal(address)) is not None:
                    raise WebhookUnreachable(f"the webhook's host resolves to {reason}")
        headers = self._signer.headers(message_id, body, datetime.now(UTC))
        with self._lock:
            self.sent.append(SentWebhook(url, headers, body))
            status = self._answers.popleft() if self._answers else 200
        if status is None:
            raise WebhookUnreachable("no answer (scripted)")
        return status
