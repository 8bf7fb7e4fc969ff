"""Use cases for operators: one user's record and allowance, and a day's report."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import InvalidRequest
from profilephoto.domain.models import Job, JobStatus
from profilephoto.domain.ports import Clock, UnitOfWork
from profilephoto.domain.quota import usage_today


class AdminService:
    def __init__(self, uow: UnitOfWork, clock: Clock, config: ServiceConfig) -> None:
        self._uow, self._clock, self._config = uow, clock, config

    def user(self, user_id: str) -> dict[str, Any]:
        """The stored record (or None) and today's usage as the user sees it."""
        user = self._uow.users.get(user_id)
        _, usage = usage_today(self._uow.usage, user_id, user, self._clock.now(), self._config)
        return {
            "userId": user_id,
            "record": user.to_json_dict() if user is not None else None,
            "usage": usage.to_json_dict(),
        }

    def set_limit(self, user_id: str, limit: int) -> dict[str, Any]:
        if limit < 0:
            raise InvalidRequest("a daily limit is 0 or more")
        self._uow.users.set_daily_limit(user_id, limit, self._clock.now())
        return self.user(user_id)

    def report(self, day: str | None = None) -> dict[str, Any]:
        """Jobs created on a UTC day: by status, images made, failures by code, tokens and
        the estimated model cost (from each job's metadata)."""
        try:
            start_day = date.fromisoformat(day) if day else self._clock.now().astimezone(UTC).date()
        except ValueError:
            raise InvalidRequest(f"--date must be YYYY-MM-DD, not {day!r}") from None
        start = datetime.combine(start_day, time(0), tzinfo=UTC)
        end = start + timedelta(days=1)
        jobs = {s: self._uow.jobs.list_created(s, start, end) for s in JobStatus}
        completed = jobs[JobStatus.COMPLETED]
        everything = [job for found in jobs.values() for job in found]
        return {
            "date": start_day.isoformat(),
            "jobs": {status.value: len(found) for status, found in jobs.items()},
            "images": sum(job.images_made for job in completed),
            "failures": dict(
                Counter(j.error.code for j in jobs[JobStatus.FAILED] if j.error).most_common()
            ),
            "tokens": sum(_tokens(job) for job in everything),
            "costUsd": round(sum(_cost(job) for job in everything), 6),
        }


def _tokens(job: Job) -> int:
    usage = job.metadata.get("usage")
    if not isinstance(usage, dict):
        return 0
    total = usage.get("totalTokens")
    if total is None:
        total = _number(usage.get("promptTokens")) + _number(usage.get("outputTokens"))
    return int(_number(total))


def _cost(job: Job) -> float:
    return _number(job.metadata.get("costUsd"))


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
