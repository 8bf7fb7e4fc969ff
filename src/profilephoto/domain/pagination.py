"""Opaque `nextToken`s: url-safe base64 of a small JSON position, checked when read back."""

from __future__ import annotations

import base64
import binascii
import json

from profilephoto.domain.errors import InvalidRequest

MAX_TOKEN_LENGTH = 2048


def encode_cursor(position: dict[str, str]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, keys: frozenset[str], user_id: str) -> dict[str, str]:
    """The position a token names; InvalidRequest unless we could have issued it to this user."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidRequest("nextToken is not valid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("nextToken is not valid") from exc
    if (
        not isinstance(position, dict)
        or set(position) != keys
        or not all(isinstance(v, str) for v in position.values())
        or position.get("userId", user_id) != user_id
    ):
        raise InvalidRequest("nextToken is not valid")
    return position
