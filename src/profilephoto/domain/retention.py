"""Retention rules: when a job and its results are due for deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from profilephoto.domain.models import Job


def retention_deadline(created_at: datetime, days: int) -> int | None:
    """Epoch seconds at which a job created at `created_at` is due; None when kept forever."""
    return int((created_at + timedelta(days=days)).timestamp()) if days > 0 else None


def expires_at(job: Job) -> datetime | None:
    """When the job and its results will be deleted (the job view's `expiresAt`)."""
    return datetime.fromtimestamp(job.ttl, UTC) if job.ttl is not None else None
