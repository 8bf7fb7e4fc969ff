"""The job state machine: allowed transitions, leases, and which failures are refunded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from profilephoto.domain.errors import (
    ConditionFailed,
    ContentBlocked,
    InvalidImage,
)
from profilephoto.domain.models import Job, JobStatus

P, Q, R, C, F = (
    JobStatus.PENDING,
    JobStatus.QUEUED,
    JobStatus.PROCESSING,
    JobStatus.COMPLETED,
    JobStatus.FAILED,
)

# from -> the states it may move to. Terminal states have no way out.
# pending -> processing: a worker may see the message before the API marks the job queued.
# processing -> processing is a re-claim after a lease expired (a crashed or retrying worker).
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    P: frozenset({Q, R, F}),
    Q: frozenset({R, F}),
    R: frozenset({R, C, F}),
    C: frozenset(),
    F: frozenset(),
}

# Failures caused by the user's own input keep the charge; every other failure refunds it.
USER_CAUSED_CODES = frozenset({InvalidImage.code, ContentBlocked.code})


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[current]


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """Every state from which `target` may be reached (the condition of a conditional write)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def check_transition(job: Job, target: JobStatus, expected: frozenset[JobStatus]) -> None:
    """Raise ConditionFailed unless `job` is in `expected` and may move to `target`.

    Adapters call this inside their atomic step (or express the same condition natively),
    so the rule lives here once.
    """
    if job.status not in expected or not can_transition(job.status, target):
        raise ConditionFailed(f"job {job.job_id} is {job.status}, not {sorted(expected)}")


def check_match(job: Job, match: Mapping[str, str] | None) -> None:
    """Raise ConditionFailed unless each stored attribute named in `match` has its value."""
    if not match:
        return
    stored = job.to_json_dict()
    if any(stored.get(name) != value for name, value in match.items()):
        raise ConditionFailed(f"job {job.job_id} does not match {sorted(match)}")


def lease_is_live(job: Job, now: datetime) -> bool:
    """Another worker holds a processing job until its lease runs out."""
    return job.status is R and job.lease_expires_at is not None and job.lease_expires_at > now


def is_refunded(error_code: str) -> bool:
    """System failures refund the unit; failures caused by the user's input do not."""
    return error_code not in USER_CAUSED_CODES
