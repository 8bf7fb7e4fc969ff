"""The job state machine: allowed transitions, and every state change as data (JobChange)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from profilephoto.domain.errors import (
    ConditionFailed,
    ContentBlocked,
    InvalidImage,
    JobFinished,
    PhotoRejected,
)
from profilephoto.domain.models import GLOBAL_USAGE_USER, Job, JobError, JobStatus, usage_key
from profilephoto.domain.report import ReportEntry, report_entry
from profilephoto.domain.webhooks import WebhookEvent, event_for

PENDING, QUEUED, PROCESSING = JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING
COMPLETED, FAILED, CANCELED = JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED

# from -> the states it may move to. Terminal states have no way out.
# pending -> processing: a worker may see the message before the API marks the job queued.
# processing -> processing is a re-claim after a lease expired (a crashed or retrying worker).
# Any unfinished job may be canceled by its owner (docs/api.md §3.8).
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    PENDING: frozenset({QUEUED, PROCESSING, FAILED, CANCELED}),
    QUEUED: frozenset({PROCESSING, FAILED, CANCELED}),
    PROCESSING: frozenset({PROCESSING, COMPLETED, FAILED, CANCELED}),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    CANCELED: frozenset(),
}

# Failures caused by the user's own input keep the charge; every other failure refunds it.
USER_CAUSED_CODES = frozenset({InvalidImage.code, ContentBlocked.code})
# A photo the check turned away is the user's, but cost nothing: it is refunded all the same.
REFUNDED_USER_CODES = frozenset({PhotoRejected.code})


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[current]


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """Every state from which `target` may be reached."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def lease_is_live(job: Job, now: datetime) -> bool:
    """Another worker holds a processing job until its lease runs out."""
    return (
        job.status is PROCESSING and job.lease_expires_at is not None and job.lease_expires_at > now
    )


def is_refunded(error_code: str) -> bool:
    """System failures refund the unit; failures caused by the user's input do not."""
    return error_code not in USER_CAUSED_CODES


# --- guards: what the stored job must be for a change to apply ---------------------------


@dataclass(frozen=True)
class LeaseFree:
    """No worker holds the job at `at`: it is not processing, or its lease has run out."""

    at: datetime

    def holds(self, job: Job) -> bool:
        return not lease_is_live(job, self.at)


@dataclass(frozen=True)
class LeaseHeld:
    """The job's lease is still the one taken (`until`; None: no lease was ever taken):
    no worker has claimed the job since."""

    until: datetime | None

    def holds(self, job: Job) -> bool:
        return job.lease_expires_at == self.until


@dataclass(frozen=True)
class Describes:
    """The record is the job a queue message names (docs/api.md §4.2: the record is the truth)."""

    user_id: str
    style: str
    input_image_url: str

    def holds(self, job: Job) -> bool:
        return (job.user_id, job.style, job.input_image_url) == (
            self.user_id,
            self.style,
            self.input_image_url,
        )


Guard = LeaseFree | LeaseHeld | Describes


# --- the change a unit of work applies ----------------------------------------------------


@dataclass(frozen=True)
class JobChange:
    """One state change of a job as data: the fields it writes, the guard under which it may,
    and what it does to the ledgers. A unit of work applies all of it in one atomic commit,
    or nothing (ConditionFailed) when the stored job no longer satisfies the guard.
    """

    name: str  # the operation, for logs and fault injection: "claim", "complete", ...
    job_id: str
    expected: frozenset[JobStatus]  # the stored status must be one of these
    updates: Mapping[str, Any]  # Job fields and their new values; None removes the field
    guards: tuple[Guard, ...] = ()
    attempts_added: int = 0  # an increment to the stored job's `attempts`, not a value
    # The job the change was decided from; ledger changes need its owner and quota day.
    job: Job | None = field(default=None, repr=False, compare=False)
    refund: int = 0  # units given back to the job's quota day (never below zero)
    images: int = 0  # added to the owner's totalImagesGenerated, when the owner has a record
    # The webhook event of the end the change makes, when the job's webhook wants that end:
    # kept in the same commit (a transactional outbox), so a worker that dies before it
    # queues the event loses nothing (the sweep queues it).
    event: WebhookEvent | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.updates) - set(Job.model_fields)
        if unknown:
            raise ValueError(f"{self.name}: Job has no field {sorted(unknown)}")
        if (self.refund or self.images) and self.job is None:
            raise ValueError(f"{self.name}: a ledger change needs the job it was decided from")

    @property
    def target(self) -> JobStatus:
        return JobStatus(self.updates["status"])

    @property
    def owner(self) -> str:
        return self._known().user_id

    @property
    def usage_key(self) -> str:
        """The usage record a refund goes to: the day the job was charged to."""
        job = self._known()
        return usage_key(job.user_id, job.quota_date)

    @property
    def refund_keys(self) -> tuple[str, ...]:
        """Every counter a refund goes back to: the owner's quota day and, when the job was
        counted under GLOBAL_DAILY_LIMIT, that UTC day's service-wide count."""
        job = self._known()
        if job.capacity_date is None:
            return (self.usage_key,)
        return (self.usage_key, usage_key(GLOBAL_USAGE_USER, job.capacity_date))

    @property
    def report(self) -> ReportEntry | None:
        """What the change adds to the operator's day report: a job that ends is counted
        in the usage ledger when it ends, so the figures outlive its record (DELETE /me,
        retention)."""
        if self.job is None or not self.target.is_terminal:
            return None
        return report_entry(self.predicted())

    def holds(self, stored: Job) -> bool:
        return stored.status in self.expected and all(g.holds(stored) for g in self.guards)

    def applied_to(self, stored: Job) -> Job:
        """The stored job after the change; ConditionFailed when the guard does not hold."""
        if not self.holds(stored):
            raise ConditionFailed(f"{self.name}: job {self.job_id} is {stored.status}")
        return stored.model_copy(
            update={**self.updates, "attempts": stored.attempts + self.attempts_added}
        )

    def predicted(self) -> Job:
        """The job after the change, from the job it was decided from (for a store that
        cannot read the item back in the same call)."""
        job = self._known()
        return job.model_copy(
            update={**self.updates, "attempts": job.attempts + self.attempts_added}
        )

    def _known(self) -> Job:
        if self.job is None:
            raise ValueError(f"{self.name}: decided without a job")
        return self.job


def _announced(change: JobChange) -> JobChange:
    """The change with the webhook event of the end it makes (None when the job's webhook,
    if any, does not want that end)."""
    return replace(change, event=event_for(change.predicted()))


def _from(job: Job, target: JobStatus) -> frozenset[JobStatus]:
    """The guard of a change decided from `job`: it is still in the state it was read in."""
    if not can_transition(job.status, target):
        raise ConditionFailed(f"job {job.job_id} is {job.status}; it cannot become {target}")
    return frozenset({job.status})


# --- the operations -------------------------------------------------------------------------


def claim(
    job_id: str, describes: Describes, now: datetime, lease_expires_at: datetime
) -> JobChange:
    """A worker takes the job a message names, without reading it first: only if it is
    unfinished, agrees with the message and no live lease holds it; counts an attempt."""
    return JobChange(
        name="claim",
        job_id=job_id,
        expected=sources_of(PROCESSING),
        updates={"status": PROCESSING, "updated_at": now, "lease_expires_at": lease_expires_at},
        guards=(LeaseFree(now), describes),
        attempts_added=1,
    )


def mark_queued(job: Job, now: datetime) -> JobChange:
    """The job's message reached the queue (a worker that claimed it first wins)."""
    return JobChange(
        name="mark_queued",
        job_id=job.job_id,
        expected=_from(job, QUEUED),
        updates={"status": QUEUED, "updated_at": now, "lease_expires_at": None},
        job=job,
    )


def complete(
    job: Job,
    output_image_urls: list[str],
    processing_time: int,
    metadata: dict[str, object],
    now: datetime,
    *,
    unmatched: int = 0,
) -> JobChange:
    """The results are stored: the job completes, its owner's image count grows by the
    images made, and the units of the variants that failed go back (docs/api.md §4.1), as
    do those of the `unmatched` images delivered below the likeness bar (§8, "Likeness")."""
    if not 1 <= len(output_image_urls) <= job.count:
        raise ValueError(f"job {job.job_id} asked for {job.count} images, not {output_image_urls}")
    if not 0 <= unmatched <= len(output_image_urls):
        raise ValueError(f"job {job.job_id}: {unmatched} unmatched of {output_image_urls}")
    failed = job.count - len(output_image_urls)
    change = JobChange(
        name="complete",
        job_id=job.job_id,
        expected=_from(job, COMPLETED),
        updates={
            "status": COMPLETED,
            "output_image_url": output_image_urls[0],
            "output_image_urls": list(output_image_urls),
            "processing_time": processing_time,
            "metadata": {**metadata, "failedVariants": failed} if failed else dict(metadata),
            "updated_at": now,
            "lease_expires_at": None,
        },
        job=job,
        images=len(output_image_urls),
        refund=failed + unmatched,
    )
    return _announced(change)


def fail(job: Job, error: JobError, now: datetime) -> JobChange:
    """The job fails; a system failure gives its units back, the user's own does not."""
    change = JobChange(
        name="fail",
        job_id=job.job_id,
        expected=_from(job, FAILED),
        updates={"status": FAILED, "error": error, "updated_at": now, "lease_expires_at": None},
        job=job,
        refund=job.count if is_refunded(error.code) else 0,
    )
    return _announced(change)


def fail_unqueued(job: Job, error: JobError, now: datetime) -> JobChange:
    """The job's message never reached the queue: it fails as `fail` says, and its webhook
    is not called, because the caller learnt it from the 503 answer (and may retry)."""
    return replace(fail(job, error, now), event=None)


def give_up(job: Job, error: JobError, now: datetime) -> JobChange:
    """The sweep fails a job that went quiet, but only while no worker has claimed it since
    the sweep read it: conditioned on the lease as read, which every claim rewrites (a
    re-claim keeps the status `processing`, so the status alone cannot tell)."""
    return replace(fail(job, error, now), name="give_up", guards=(LeaseHeld(job.lease_expires_at),))


def release_lease(job: Job, now: datetime) -> JobChange:
    """A worker ends its lease early so a redelivered message can claim the job at once,
    but only while the lease is still its own: a worker that outlived its lease must not
    cut short the lease of the worker that took over."""
    guards: tuple[Guard, ...] = (LeaseHeld(job.lease_expires_at),) if job.lease_expires_at else ()
    return JobChange(
        name="release_lease",
        job_id=job.job_id,
        expected=_from(job, PROCESSING),
        updates={"status": PROCESSING, "updated_at": now, "lease_expires_at": now},
        guards=guards,
        job=job,
    )


def cancel(job: Job, now: datetime) -> JobChange | None:
    """Cancel an unfinished job and give back every unit it reserved; None when it already
    is canceled (cancelling is idempotent); JobFinished when it completed or failed."""
    if job.status is CANCELED:
        return None
    if job.status.is_terminal:
        raise JobFinished()
    change = JobChange(
        name="cancel",
        job_id=job.job_id,
        expected=sources_of(CANCELED),
        updates={"status": CANCELED, "updated_at": now, "lease_expires_at": None},
        job=job,
        refund=job.count,
    )
    return _announced(change)


def is_system_failure(error_code: str) -> bool:
    """A failure that is ours (the model, a bug, a dependency), not the user's photo."""
    return error_code not in USER_CAUSED_CODES | REFUNDED_USER_CODES
