"""Stored object references (`scheme://bucket/key`) and the keys inside them."""

from __future__ import annotations


def object_key(uri: str) -> str:
    """The key inside a stored reference `scheme://bucket/key`."""
    return uri.split("://", 1)[-1].split("/", 1)[-1]
