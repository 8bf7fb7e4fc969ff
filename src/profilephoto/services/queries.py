"""Use cases that only read: one job, a user's jobs, today's usage, the styles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import InvalidRequest
from profilephoto.domain.job_lifecycle import is_refunded
from profilephoto.domain.models import Identity, Job, JobStatus, Style, Usage
from profilephoto.domain.object_keys import object_key
from profilephoto.domain.ports import Clock, ObjectStore, UnitOfWork
from profilephoto.domain.quota import usage_today
from profilephoto.domain.retention import expires_at, is_due, owned_job

MAX_PAGE = 100
DEFAULT_PAGE = 20


@dataclass(frozen=True)
class JobDetails:
    """A job as its owner may see it: the record, a fresh download URL for each of its
    results (completed only), and when retention deletes it (None: kept)."""

    job: Job
    result_urls: tuple[str, ...] = ()
    expires_at: datetime | None = None

    @property
    def ai_generated(self) -> bool:
        """Every result a completed job delivers carries the AI label (invariant 9)."""
        return self.job.status is JobStatus.COMPLETED

    @property
    def charged(self) -> bool:
        """Whether the job used one of the day's generations (said by the refund rule, so no
        client has to know which codes refund)."""
        return self.job.error is None or not is_refunded(self.job.error.code)


@dataclass(frozen=True)
class JobDetailsPage:
    items: tuple[JobDetails, ...]
    next_token: str | None


def parse_limit(raw: str | int | None) -> int:
    """`limit` of GET /jobs: an integer 1-100, default 20; anything else is invalid_request."""
    if raw is None:
        return DEFAULT_PAGE
    text = str(raw).strip()
    # ASCII digits only, and few of them: str.isdigit() accepts "²", which int() refuses,
    # and int() refuses more than 4,300 digits; both would otherwise escape as a 500.
    if not (text.isascii() and text.isdigit() and len(text) <= 3) or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidRequest(f"limit must be an integer from 1 to {MAX_PAGE}")
    return int(text)


class QueryService:
    def __init__(
        self,
        uow: UnitOfWork,
        results: ObjectStore,
        styles: list[Style],
        clock: Clock,
        config: ServiceConfig,
    ) -> None:
        self._uow, self._results, self._styles = uow, results, styles
        self._clock, self._config = clock, config

    def get_job(self, identity: Identity, job_id: str) -> JobDetails:
        """The caller's job with fresh result URLs; another user's job is JobNotFound."""
        return self.details(self._owned(identity, job_id))

    def result_keys(self, identity: Identity, job_id: str) -> list[str]:
        """The stored keys of the caller's job's images, in order; [] until it completes."""
        job = self._owned(identity, job_id)
        if job.status is not JobStatus.COMPLETED:
            return []
        return [object_key(url) for url in job.result_urls]

    def _owned(self, identity: Identity, job_id: str) -> Job:
        job = self._uow.jobs.get(job_id) if isinstance(job_id, str) and job_id else None
        now, days = self._clock.now(), self._config.result_retention_days
        return owned_job(job, identity.user_id, now, days)

    def _gone(self, job: Job) -> bool:
        """Past its deadline, a job is gone to its owner before the sweep deletes it: no
        URL to a result that may already be deleted (S3's lifecycle rule runs on its own)."""
        return is_due(job, self._clock.now(), self._config.result_retention_days)

    def list_jobs(
        self, identity: Identity, limit: str | int | None, cursor: str | None
    ) -> JobDetailsPage:
        if cursor is not None and not isinstance(cursor, str):
            raise InvalidRequest("nextToken is not valid")
        page = self._uow.jobs.list_for_user(identity.user_id, parse_limit(limit), cursor or None)
        return JobDetailsPage(
            items=tuple(self.details(job) for job in page.items if not self._gone(job)),
            next_token=page.next_token,
        )

    def get_usage(self, identity: Identity) -> Usage:
        user = self._uow.users.get(identity.user_id)
        now = self._clock.now()
        return usage_today(self._uow.usage, identity.user_id, user, now, self._config)[1]

    def list_styles(self) -> list[Style]:
        return list(self._styles)

    def details(self, job: Job) -> JobDetails:
        """The job, when it will be deleted, and a fresh URL for each of its results."""
        deadline = expires_at(job)
        urls: tuple[str, ...] = ()
        if job.status is JobStatus.COMPLETED and job.result_urls:
            lifetime = self._url_lifetime(deadline)
            urls = tuple(
                self._results.presign_download(object_key(u), lifetime) for u in job.result_urls
            )
        return JobDetails(job=job, result_urls=urls, expires_at=deadline)

    def _url_lifetime(self, deadline: datetime | None) -> int:
        """A result URL never outlives the result: at most until the job's deadline."""
        lifetime = self._config.result_url_expiration
        if deadline is None:
            return lifetime
        left = int((deadline - self._clock.now()).total_seconds())
        return max(1, min(lifetime, left))
