"""The commit that deletes a job: its record, and the Idempotency-Key that answered 503."""

from __future__ import annotations

from dataclasses import dataclass

from profilephoto.domain.errors import QueueUnavailable
from profilephoto.domain.models import IdempotencyRecord, Job


def answered_unavailable(job: Job | None) -> bool:
    """Whether the job's `POST /generate` was answered 503 `queue_unavailable`: never a
    final answer for its Idempotency-Key (docs/api.md §3.2), so a retry runs again."""
    return job is not None and job.error is not None and job.error.code == QueueUnavailable.code


@dataclass(frozen=True)
class JobDeletion:
    """Forget the job and, with `idempotency_key`, the idempotency record under it while
    that record still names the job (one a retry took over answers for the retry's job),
    in one atomic commit. The domain decides it; a unit of work only applies it."""

    job_id: str
    idempotency_key: str | None = None

    def forgets(self, record: IdempotencyRecord | None) -> bool:
        """Whether the stored `record` under `idempotency_key` goes with the job."""
        return (
            self.idempotency_key is not None
            and record is not None
            and record.key == self.idempotency_key
            and record.job_id == self.job_id
        )


def deletion(job: Job) -> JobDeletion:
    """Deleting a job keeps a key whose answer was a 202: the same key and body within
    24 h replay that 202, create no second job and charge nothing more (docs/api.md §3.2),
    though the job is gone. A key whose answer was a 503 goes with the job: that answer
    was never final, and a retry must run again, not replay a job that never ran."""
    return JobDeletion(job.job_id, job.idempotency_key if answered_unavailable(job) else None)
