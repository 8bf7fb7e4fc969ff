"""The job state machine: allowed transitions, leases, and which failures are refunded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from profilephoto.domain.errors import (
    ConditionFailed,
    ContentBlocked,
    InvalidImage,
    JobFinished,
    PhotoRejected,
)
from profilephoto.domain.models import Job, JobStatus

P, Q, R, C, F, X = (
    JobStatus.PENDING,
    JobStatus.QUEUED,
    JobStatus.PROCESSING,
    JobStatus.COMPLETED,
    JobStatus.FAILED,
    JobStatus.CANCELED,
)

# from -> the states it may move to. Terminal states have no way out.
# pending -> processing: a worker may see the message before the API marks the job queued.
# processing -> processing is a re-claim after a lease expired (a crashed or retrying worker).
# Any unfinished job may be canceled by its owner (docs/api.md, POST /jobs/{jobId}/cancel).
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    P: frozenset({Q, R, F, X}),
    Q: frozenset({R, F, X}),
    R: frozenset({R, C, F, X}),
    C: frozenset(),
    F: frozenset(),
    X: frozenset(),
}

# Failures caused by the user's own input keep the charge; every other failure refunds it.
USER_CAUSED_CODES = frozenset({InvalidImage.code, ContentBlocked.code})
# A photo the check turned away is the user's, but cost nothing: it is refunded all the same.
REFUNDED_USER_CODES = frozenset({PhotoRejected.code})


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


@dataclass(frozen=True)
class JobChange:
    """One state change of a job as data: what to write, under which guard, and its effects
    on the ledgers. A unit of work applies it in one atomic commit (`UnitOfWork.apply`)."""

    job: Job = field(repr=False)  # the job the change was decided from (owner, quota day)
    expected: frozenset[JobStatus]  # the guard: the stored status must be one of these
    updates: Mapping[str, object]  # Job fields (snake_case) and their new values; None removes
    refund: int = 0  # units given back to the job's quota day (never below zero)
    images: int = 0  # added to the owner's totalImagesGenerated

    @property
    def target(self) -> JobStatus:
        return JobStatus(str(self.updates["status"]))

    def applied_to(self, stored: Job) -> Job:
        """The stored job after the change; ConditionFailed when the guard does not hold."""
        check_transition(stored, self.target, self.expected)
        return stored.model_copy(update=dict(self.updates))


def cancel(job: Job, now: datetime) -> JobChange | None:
    """Cancel an unfinished job and give back every unit it reserved; None when it already
    is canceled (cancelling is idempotent); JobFinished when it completed or failed."""
    if job.status is X:
        return None
    if job.status.is_terminal:
        raise JobFinished()
    return JobChange(
        job=job,
        expected=sources_of(X),
        updates={"status": X, "updated_at": now, "lease_expires_at": None},
        refund=job.count,
    )
def is_system_failure(error_code: str) -> bool:
    """A failure that is ours (the model, a bug, a dependency), not the user's photo."""
    return error_code not in USER_CAUSED_CODES | REFUNDED_USER_CODES
