"""The real clock and id generator, shared by every runtime."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import NoReturn


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidIds:
    def job_id(self) -> str:
        return f"job_{uuid.uuid4().hex}"

    def unique(self) -> str:
        return uuid.uuid4().hex


class SilentNotifier:
    """Used when no push channel is configured (WEBSOCKET_ENDPOINT unset): clients poll."""

    def notify(self, user_id: str, message: object) -> None:
        return None


class UncheckedPhotos:
    """The inspector when QUALITY_CHECK=off: the service never asks it anything."""

    def inspect(self, image: object) -> NoReturn:
        raise RuntimeError("QUALITY_CHECK is off: no photo inspector is loaded")


class UnmatchedFaces:
    """The face matcher when LIKENESS_CHECK=off: the service never asks it anything."""

    def embed(self, image: object) -> NoReturn:
        raise RuntimeError("LIKENESS_CHECK is off: no face matcher is loaded")
