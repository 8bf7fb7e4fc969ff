"""The operator's day report: what each job that ends adds to its day, kept in the usage ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pydantic import Field

from profilephoto.domain.models import Job, JobStatus, Model

# As long as the usage counts it sits beside (UsageLog's ttl).
REPORT_RETENTION = timedelta(days=90)
# The UsageLog "user" of the day reports: `__report__#YYYY-MM-DD` (no user id starts "__").
REPORT_USER = "__report__"


def report_key(date: str) -> str:
    """The usage ledger key of a UTC day's report, `__report__#YYYY-MM-DD`."""
    return f"{REPORT_USER}#{date}"


def report_day(job: Job) -> str:
    """The UTC day a job is reported under: the day it was created (YYYY-MM-DD)."""
    return job.created_at.astimezone(UTC).date().isoformat()


@dataclass(frozen=True)
class ReportEntry:
    """What one job adds to its day's report when it ends (one per job: a job ends once)."""

    date: str
    status: JobStatus
    images: int
    failure: str | None
    tokens: int
    cost_usd: float

    @property
    def key(self) -> str:
        return report_key(self.date)

    @property
    def expires_at(self) -> int:
        """Epoch seconds after which the report may go, as the day's usage counts do."""
        end = datetime.combine(datetime.fromisoformat(self.date).date(), time(0), tzinfo=UTC)
        return int((end + timedelta(days=1) + REPORT_RETENTION).timestamp())


def report_entry(ended: Job) -> ReportEntry:
    """The entry of a job as it ends (its status, images, failure, tokens and cost)."""
    return ReportEntry(
        date=report_day(ended),
        status=ended.status,
        images=ended.images_made,
        failure=ended.error.code if ended.status is JobStatus.FAILED and ended.error else None,
        tokens=job_tokens(ended),
        cost_usd=_number(ended.metadata.get("costUsd")),
    )


class DayReport(Model):
    """The figures of the jobs created on one UTC day that have ended (`admin report`)."""

    date: str
    jobs: dict[str, int] = Field(default_factory=dict)  # ended jobs by status
    images: int = 0
    failures: dict[str, int] = Field(default_factory=dict)  # failed jobs by error code
    tokens: int = 0
    cost_usd: float = 0.0

    def plus(self, entry: ReportEntry) -> DayReport:
        jobs = dict(self.jobs)
        jobs[entry.status.value] = jobs.get(entry.status.value, 0) + 1
        failures = dict(self.failures)
        if entry.failure is not None:
            failures[entry.failure] = failures.get(entry.failure, 0) + 1
        return DayReport(
            date=self.date,
            jobs=jobs,
            images=self.images + entry.images,
            failures=failures,
            tokens=self.tokens + entry.tokens,
            cost_usd=self.cost_usd + entry.cost_usd,
        )


def job_tokens(job: Job) -> int:
    """The tokens the model reported for the job (`metadata.usage`), 0 when none."""
    usage = job.metadata.get("usage")
    if not isinstance(usage, dict):
        return 0
    total = usage.get("totalTokens")
    if total is None:
        total = _number(usage.get("promptTokens")) + _number(usage.get("outputTokens"))
    return int(_number(total))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
