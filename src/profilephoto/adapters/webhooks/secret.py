"""The webhook secret's form, `whsec_` + base64 (Standard Webhooks), checked without the
signing package so that settings can name a bad WEBHOOK_SECRET at start."""

from __future__ import annotations

import base64
import binascii
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh secret in the form receivers expect: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """The secret as given, or ValueError when it is not `whsec_` + base64 of some bytes.
    A bare base64 value (what a generated Secrets Manager secret holds) gets the prefix."""
    body = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < 16:
        raise ValueError("a webhook secret is whsec_ followed by base64 of 16 or more bytes")
    return SECRET_PREFIX + body
