"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by the
`standardwebhooks` package so that receivers verifying with it agree byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook

from profilephoto.adapters.webhooks.secret import check_secret


class WebhookSigner:
    """The three Standard Webhooks headers of one attempt. Thread-safe (no state but the key)."""

    def __init__(self, secret: str) -> None:
        self._webhook = Webhook(check_secret(secret))

    def headers(self, message_id: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
        moment = at or datetime.now(UTC)
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": self._webhook.sign(message_id, moment, body),
        }
