"""Use case: the sweep that deletes jobs and results older than RESULT_RETENTION_DAYS."""

from __future__ import annotations

import logging
from datetime import timedelta

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import ProfilePhotoError
from profilephoto.domain.models import TERMINAL_STATUSES, Job
from profilephoto.domain.ports import Clock, ObjectStore, UnitOfWork
from profilephoto.domain.retention import is_due
from profilephoto.domain.upload_policy import result_prefix
from profilephoto.services.deletion import delete_photos

log = logging.getLogger(__name__)

PAGE = 100


class RetentionSweeper:
    """Deletes finished jobs past their deadline with their objects; on AWS DynamoDB's TTL
    and S3's lifecycle rule do the same on their own schedule, this makes it exact."""

    def __init__(
        self,
        uow: UnitOfWork,
        uploads: ObjectStore,
        results: ObjectStore,
        clock: Clock,
        config: ServiceConfig,
    ) -> None:
        self._uow, self._uploads, self._results = uow, uploads, results
        self._clock, self._config = clock, config

    def sweep(self) -> int:
        """Delete what is due; returns how many jobs went. One job's failure is logged and
        skipped, so the rest are still deleted (the next sweep retries it)."""
        days = self._config.result_retention_days
        if days <= 0:
            return 0
        now = self._clock.now()
        cutoff = now - timedelta(days=days)
        deleted = 0
        for status in TERMINAL_STATUSES:
            for job in self._uow.jobs.list_created_before(status, cutoff, PAGE):
                if not is_due(job, now, days):
                    continue  # kept longer when it was made (the setting has since changed)
                try:
                    self._delete(job)
                    deleted += 1
                except ProfilePhotoError:
                    log.exception("expired job not deleted", extra={"jobId": job.job_id})
        if deleted:
            log.info("expired jobs deleted", extra={"jobs": deleted})
        return deleted

    def _delete(self, job: Job) -> None:
        # Objects first: if one delete fails the record survives and the next sweep retries.
        self._results.delete_prefix(result_prefix(job.user_id, job.job_id))
        delete_photos(self._uow, self._uploads, job)
        self._uow.jobs.delete(job.job_id)
