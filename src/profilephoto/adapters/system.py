"""The real clock and id generator, shared by every runtime."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidIds:
    def job_id(self) -> str:
        return f"job_{uuid.uuid4().hex}"

    def unique(self) -> str:
        return uuid.uuid4().hex
