"""Use cases for operators: one user's record and allowance, and a day's report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import InvalidRequest
from profilephoto.domain.models import JobStatus, Usage, User
from profilephoto.domain.ports import Clock, UnitOfWork
from profilephoto.domain.quota import usage_today
from profilephoto.domain.report import DayReport


@dataclass(frozen=True)
class UserOverview:
    """One user as an operator sees them: the stored record (None: never seen) and today's
    usage as the user sees it."""

    user_id: str
    record: User | None
    usage: Usage


class AdminService:
    def __init__(self, uow: UnitOfWork, clock: Clock, config: ServiceConfig) -> None:
        self._uow, self._clock, self._config = uow, clock, config

    def user(self, user_id: str) -> UserOverview:
        """The stored record (or None) and today's usage as the user sees it."""
        user = self._uow.users.get(user_id)
        _, usage = usage_today(self._uow.usage, user_id, user, self._clock.now(), self._config)
        return UserOverview(user_id, user, usage)

    def set_limit(self, user_id: str, limit: int) -> UserOverview:
        if limit < 0:
            raise InvalidRequest("a daily limit is 0 or more")
        self._uow.users.set_daily_limit(user_id, limit, self._clock.now())
        return self.user(user_id)

    def report(self, day: str | None = None) -> DayReport:
        """Jobs created on a UTC day: by status, images made, failures by code, tokens and
        the estimated model cost. The jobs that have ended are counted in the usage ledger
        as they end (their records may be gone: DELETE /me, retention); those still
        running are read from the job records."""
        try:
            start_day = date.fromisoformat(day) if day else self._clock.now().astimezone(UTC).date()
        except ValueError:
            raise InvalidRequest(f"--date must be YYYY-MM-DD, not {day!r}") from None
        start = datetime.combine(start_day, time(0), tzinfo=UTC)
        end = start + timedelta(days=1)
        ended = self._uow.usage.report(start_day.isoformat()) or DayReport(date="")
        jobs = {
            status.value: ended.jobs.get(status.value, 0)
            if status.is_terminal
            else len(self._uow.jobs.list_created(status, start, end))
            for status in JobStatus
        }
        return DayReport(
            date=start_day.isoformat(),
            jobs=jobs,
            images=ended.images,
            failures=dict(Counter(ended.failures).most_common()),
            tokens=ended.tokens,
            cost_usd=round(ended.cost_usd, 6),
        )
