"""Jobs for tests: one factory instead of a copy in every file, and a claim by another worker."""

from __future__ import annotations

from datetime import UTC, datetime

from profilephoto.domain.job_lifecycle import Describes, JobChange, claim
from profilephoto.domain.models import Job, JobStatus

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def job_id(n: int) -> str:
    return f"job_{n:032x}"


def make_job(
    n: int = 1,
    *,
    user: str = "alice",
    status: JobStatus = JobStatus.PENDING,
    at: datetime = NOW,
    input_image_url: str = "s3://uploads/uploads/alice/k.jpg",
    lease_expires_at: datetime | None = None,
) -> Job:
    """A job as `POST /generate` creates it (pending, charged to 2026-11-29)."""
    return Job(
        job_id=job_id(n),
        user_id=user,
        status=status,
        style="professional",
        input_image_url=input_image_url,
        prompt="portrait",
        created_at=at,
        updated_at=at,
        quota_date="2026-11-29",
        lease_expires_at=lease_expires_at,
    )


def claim_of(job: Job, now: datetime, lease_expires_at: datetime) -> JobChange:
    """The claim a worker makes for `job` from its (agreeing) queue message."""
    describes = Describes(user_id=job.user_id, style=job.style, input_image_url=job.input_image_url)
    return claim(job.job_id, describes, now, lease_expires_at)
