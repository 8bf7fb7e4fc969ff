"""Retention rules: when a job and its results are due for deletion."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from profilephoto.domain.errors import JobNotFound
from profilephoto.domain.models import Job


def retention_deadline(created_at: datetime, days: int) -> int | None:
    """Epoch seconds at which a job created at `created_at` is due; None when kept forever."""
    return int((created_at + timedelta(days=days)).timestamp()) if days > 0 else None


def expires_at(job: Job) -> datetime | None:
    """When the job and its results will be deleted (the job view's `expiresAt`)."""
    return datetime.fromtimestamp(job.ttl, UTC) if job.ttl is not None else None


def is_due(job: Job, now: datetime, days: int) -> bool:
    """Whether a job is past its deadline: a finished job whose `ttl` has passed (or, made
    without one, `days` after it was created); never with retention off (`days` <= 0). A
    due job is gone to its owner from then on, whether or not the sweep has deleted it."""
    if days <= 0 or not job.status.is_terminal:
        return False
    if job.ttl is not None:
        return job.ttl <= now.timestamp()
    return job.created_at <= now - timedelta(days=days)


def owned_job(job: Job | None, user_id: str, now: datetime, days: int) -> Job:
    """The job when its owner `user_id` may see or act on it (read, cancel, delete);
    JobNotFound for no job, another user's job and one past its deadline (`is_due`)."""
    if job is None or job.user_id != user_id or is_due(job, now, days):
        raise JobNotFound()
    return job


def photos_to_delete(job: Job, owners_jobs: Iterable[Job]) -> set[str]:
    """The photos (stored references) that may be deleted with `job`: one upload may feed
    several jobs, and one that another unfinished job of the owner still reads goes with
    the last job that uses it, not before (deleting it would fail that job)."""
    photos = set(job.photo_urls)
    for other in owners_jobs:
        if not photos:
            break
        if other.job_id != job.job_id and not other.status.is_terminal:
            photos -= set(other.photo_urls)
    return photos
