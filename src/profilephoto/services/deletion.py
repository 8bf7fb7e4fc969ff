"""Use case: a user deletes a finished job with its photos (their selfie is theirs)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import JobInProgress
from profilephoto.domain.job_deletion import deletion
from profilephoto.domain.models import Identity, Job
from profilephoto.domain.object_keys import object_key
from profilephoto.domain.ports import Clock, ObjectStore, UnitOfWork
from profilephoto.domain.retention import owned_job, photos_to_delete
from profilephoto.domain.upload_policy import result_prefix

log = logging.getLogger(__name__)

PAGE = 100


class DeletionService:
    def __init__(
        self,
        uow: UnitOfWork,
        uploads: ObjectStore,
        results: ObjectStore,
        clock: Clock,
        config: ServiceConfig,
    ) -> None:
        self._uow, self._uploads, self._results = uow, uploads, results
        self._clock, self._retention_days = clock, config.result_retention_days

    def delete_job(self, identity: Identity, job_id: str) -> Job:
        """Delete the result, the original upload and the record of the caller's finished
        job; returns the record as it was.

        Another user's job, an unknown id and a job past its retention deadline (the sweep
        deletes it) are JobNotFound; a job still running is JobInProgress (deleting its
        input under a worker would only fail it). The quota already spent stays spent:
        deleting is about privacy, not a refund.
        """
        found = self._uow.jobs.get(job_id) if isinstance(job_id, str) and job_id else None
        job = owned_job(found, identity.user_id, self._clock.now(), self._retention_days)
        if not job.status.is_terminal:
            raise JobInProgress()
        # Objects first: if a delete fails the record survives and the user can retry.
        # The whole folder: with the job's images, any an attempt that never ended left.
        self._results.delete_prefix(result_prefix(job.user_id, job.job_id))
        delete_photos(self._uow, self._uploads, job)
        # A key that answered 503 goes with the job; one that answered 202 stays (its 24 h).
        self._uow.delete_job(deletion(job))
        log.info("job deleted", extra={"jobId": job.job_id, "userId": job.user_id})
        return job


def jobs_of(uow: UnitOfWork, user_id: str) -> Iterator[Job]:
    """Every job of the user, newest first, read a page at a time as it is consumed."""
    cursor: str | None = None
    while True:
        page = uow.jobs.list_for_user(user_id, PAGE, cursor)
        yield from page.items
        if page.next_token is None:
            return
        cursor = page.next_token


def delete_photos(uow: UnitOfWork, uploads: ObjectStore, job: Job) -> None:
    """Delete the job's photos but those another unfinished job of the owner still reads."""
    for url in photos_to_delete(job, jobs_of(uow, job.user_id)):
        uploads.delete(object_key(url))
