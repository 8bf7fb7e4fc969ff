"""Use case: a user cancels an unfinished job and gets its units back at once."""

from __future__ import annotations

import logging

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import ConditionFailed, ServiceUnavailable
from profilephoto.domain.job_lifecycle import cancel
from profilephoto.domain.models import Identity, Job
from profilephoto.domain.ports import Clock, Notifier, ObjectStore, UnitOfWork, WebhookOutbox
from profilephoto.domain.retention import owned_job
from profilephoto.services.job_endings import close_out
from profilephoto.services.lost_answers import apply_or_read_back

log = logging.getLogger(__name__)

# A job moves at most pending -> queued -> processing (and re-claims) between our read and
# our write; each lost race costs one more read. Past this, the store is the problem.
MAX_TRIES = 5


class CancellationService:
    def __init__(
        self,
        uow: UnitOfWork,
        results: ObjectStore,
        notifier: Notifier,
        clock: Clock,
        config: ServiceConfig,
        webhooks: WebhookOutbox | None = None,
    ) -> None:
        self._uow, self._results, self._notifier, self._clock = uow, results, notifier, clock
        self._retention_days, self._webhooks = config.result_retention_days, webhooks

    def cancel_job(self, identity: Identity, job_id: str) -> Job:
        """Cancel the caller's job (docs/api.md, `POST /jobs/{jobId}/cancel`); returns it
        as it now is, canceled.

        Idempotent; JobFinished for a completed or failed job; JobNotFound for another
        user's job, an unknown id or a job past its retention deadline. A worker still busy
        with the job notices the status and discards its work (see processing.py).
        """
        for _ in range(MAX_TRIES):
            found = self._uow.jobs.get(job_id) if isinstance(job_id, str) and job_id else None
            now = self._clock.now()
            job = owned_job(found, identity.user_id, now, self._retention_days)
            change = cancel(job, now)
            if change is None:
                return job  # already canceled
            try:
                canceled = apply_or_read_back(self._uow, change)
            except ConditionFailed:
                continue  # the job moved between our read and our write: decide again
            log.info(
                "job canceled",
                extra={"jobId": job.job_id, "userId": job.user_id, "refunded": change.refund},
            )
            close_out(
                self._notifier,
                self._results,
                canceled,
                webhooks=self._webhooks,
                unsent=self._uow.unsent_webhooks,
            )
            return canceled
        raise ServiceUnavailable("The job is changing too fast to cancel; try again")
