"""Use case: the sweep that makes every job end (invariant 2)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import ConditionFailed, QueueUnavailable
from profilephoto.domain.job_lifecycle import give_up, lease_is_live, mark_queued
from profilephoto.domain.models import Job, JobError, JobMessage, JobStatus
from profilephoto.domain.object_keys import object_key
from profilephoto.domain.ports import (
    Clock,
    JobQueue,
    Notifier,
    ObjectStore,
    UnitOfWork,
    WebhookOutbox,
)
from profilephoto.domain.webhooks import UNSENT_GRACE
from profilephoto.services.job_endings import close_out
from profilephoto.services.lost_answers import apply_or_read_back
from profilephoto.services.webhooks import send_unsent

log = logging.getLogger(__name__)

TIMED_OUT = "timed_out"


@dataclass
class SweepReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)  # webhook events a worker never queued
    errors: int = 0  # jobs (or listings) the sweep could not handle; the next sweep retries


class Reconciler:
    def __init__(
        self,
        uow: UnitOfWork,
        queue: JobQueue,
        notifier: Notifier,
        clock: Clock,
        config: ServiceConfig,
        results: ObjectStore,
        batch: int = 100,
        webhooks: WebhookOutbox | None = None,
    ) -> None:
        self._uow, self._queue, self._notifier, self._results = uow, queue, notifier, results
        self._webhooks = webhooks
        self._clock, self._config, self._batch = clock, config, batch

    def sweep(self) -> SweepReport:
        """Re-queue jobs that went quiet; fail and refund those out of attempts or time;
        queue the webhook events of jobs that ended without theirs being queued."""
        now = self._clock.now()
        quiet_since = now - self._config.stuck_after
        # A job still unfinished after every attempt's deadline has passed is given up on.
        give_up_before = now - self._config.stuck_after * (self._config.max_attempts + 1)
        report = SweepReport()
        for status in (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING):
            try:
                stuck = self._uow.jobs.list_created_before(status, quiet_since, self._batch)
            except Exception:
                report.errors += 1
                log.exception("sweep could not list stuck jobs", extra={"status": status.value})
                continue
            for job in stuck:
                if job.updated_at > quiet_since or lease_is_live(job, now):
                    continue
                # One bad job (a bug, a throttled write) must not leave every later one
                # stuck and charged: each is handled on its own, and the next sweep retries.
                try:
                    if job.attempts >= self._config.max_attempts or job.created_at < give_up_before:
                        self._give_up(job, report)
                    else:
                        self._requeue(job, report)
                except Exception:
                    report.errors += 1
                    log.exception("sweep could not handle a job", extra={"jobId": job.job_id})
        self._send_unsent(now - UNSENT_GRACE, report)
        return report

    def _send_unsent(self, ended_before: datetime, report: SweepReport) -> None:
        """The transactional outbox's relay: events the ends' commits kept and nobody queued."""
        if self._webhooks is None:
            return  # no webhooks: no call at all
        try:
            unsent = self._uow.unsent_webhooks
            report.resent = send_unsent(self._webhooks, unsent, ended_before, self._batch)
        except Exception:
            report.errors += 1
            log.exception("sweep could not list unsent webhook events")

    def _requeue(self, job: Job, report: SweepReport) -> None:
        message = JobMessage(
            job_id=job.job_id,
            user_id=job.user_id,
            file_key=object_key(job.input_image_url),
            style=job.style,
        )
        try:
            self._queue.send(message)
            if job.status is JobStatus.PENDING:  # it never reached the queue; now it has
                self._uow.apply(mark_queued(job, self._clock.now()))
        except (QueueUnavailable, ConditionFailed):
            log.warning("could not re-queue a stuck job", extra={"jobId": job.job_id})
            return
        report.requeued.append(job.job_id)

    def _give_up(self, job: Job, report: SweepReport) -> None:
        error = JobError(code=TIMED_OUT, message="The job did not finish in time; it was refunded")
        try:
            failed = apply_or_read_back(self._uow, give_up(job, error, self._clock.now()))
        except ConditionFailed:
            return
        report.failed.append(job.job_id)
        close_out(
            self._notifier,
            self._results,
            failed,
            webhooks=self._webhooks,
            unsent=self._uow.unsent_webhooks,
        )
