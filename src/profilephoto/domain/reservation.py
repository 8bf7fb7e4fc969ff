"""The commit that admits a job: what it counts, what it creates, and what refuses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from profilephoto.domain.errors import (
    AccountDeleting,
    CapacityExhausted,
    ConditionFailed,
    QuotaExceeded,
)
from profilephoto.domain.models import CapacityReservation, IdempotencyRecord, Job, User


@dataclass(frozen=True)
class Reservation:
    """Count the job's units on the user's quota day (and on the service's, with a cap),
    create the job, and keep the idempotency record, in one atomic commit. The domain
    decides it as it decides a `JobChange`; a unit of work only applies it.
    """

    job: Job
    usage_key: str  # the user's quota day, `userId#YYYY-MM-DD`
    limit: int  # the user's daily limit
    expires_at: int  # the usage record's ttl, epoch seconds
    now: datetime
    idempotency: IdempotencyRecord | None = None
    # A request answered 5xx runs again: its record may be taken over from this job.
    replaces: str | None = None
    capacity: CapacityReservation | None = None

    @property
    def units(self) -> int:
        """The units it counts: one per image asked for."""
        return self.job.count

    def check(
        self,
        *,
        job_exists: bool = False,
        live: IdempotencyRecord | None = None,
        used: int = 0,
        capacity_used: int = 0,
        owner: User | None = None,
    ) -> None:
        """Raise what refuses this reservation, given the stored state, in the one order
        every unit of work reports it: the job id taken or the idempotency key in use
        (ConditionFailed), then the owner's account being deleted (AccountDeleting: DELETE
        /me's mark on `owner`, the job's Users record), then the user's limit
        (QuotaExceeded, the one to tell the user), then the service's (CapacityExhausted)."""
        if job_exists:
            raise ConditionFailed(f"job {self.job.job_id} exists")
        if live is not None and live.job_id != self.replaces:
            raise ConditionFailed("idempotency key in use")
        if owner is not None and owner.is_being_deleted(self.now):
            raise AccountDeleting()
        if used + self.units > self.limit:
            raise QuotaExceeded()
        if self.capacity is not None and capacity_used + self.units > self.capacity.limit:
            raise CapacityExhausted()
