"""Secrets kept in the data dir: generated once, readable only by their owner."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

SECRET_BYTES = 32
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def secret_path(data_dir: Path, name: str) -> Path:
    """Where the secret `name` lives under `data_dir`."""
    if not _NAME.match(name):
        raise ValueError(f"secret name {name!r} must be lowercase letters, digits, _ or -")
    return Path(data_dir) / f"{name}.key"


def load_or_create_secret(data_dir: Path, name: str) -> bytes:
    """The secret `name` under `data_dir`, created (mode 0600) on first use."""
    path = secret_path(data_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        _publish(path, secrets.token_bytes(SECRET_BYTES))
    return _read(path)


def load_secret(data_dir: Path, name: str) -> bytes | None:
    """The secret `name` under `data_dir`, or None when nobody has created it yet."""
    path = secret_path(data_dir, name)
    return _read(path) if path.exists() else None


def _read(path: Path) -> bytes:
    secret = path.read_bytes()
    if len(secret) < SECRET_BYTES:
        raise ValueError(f"{path} is shorter than {SECRET_BYTES} bytes; delete it to regenerate")
    return secret


def _publish(path: Path, secret: bytes) -> None:
    # Written to a private temp file and linked into place, so two processes starting at
    # once (`serve` and `token`) agree on one secret and nobody reads a half-written file.
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secret)
            handle.flush()
            os.fsync(handle.fileno())
        # FileExistsError: another process won the race, and its secret is the one.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
