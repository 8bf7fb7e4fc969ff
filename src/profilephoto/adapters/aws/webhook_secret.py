"""The webhook signing secret from Secrets Manager (WEBHOOK_SECRET_ARN, docs/deploy.md)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.errors import translate
from profilephoto.adapters.webhooks.secret import check_secret
from profilephoto.domain.errors import WebhookUnreachable


def secret_value(client: Any, secret_id: str) -> str:
    """The secret's SecretString: `whsec_...`, bare base64 (what a generated secret holds), or
    JSON {"secret": ...}. A secret that cannot be read fails the attempt (it is retried)."""
    try:
        text = client.get_secret_value(SecretId=secret_id)["SecretString"]
    except (ClientError, BotoCoreError) as error:
        translate(error, "secretsmanager.get_secret_value")
        raise WebhookUnreachable("the webhook secret could not be read") from error
    if text.lstrip().startswith("{"):
        text = json.loads(text).get("secret", "")
    try:
        return check_secret(text)
    except ValueError as error:
        raise WebhookUnreachable("WEBHOOK_SECRET_ARN holds no valid webhook secret") from error
