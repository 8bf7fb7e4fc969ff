"""Use case: a user deletes their data (photos, results, jobs, sockets, record) at once."""

from __future__ import annotations

import logging
from datetime import timedelta

from profilephoto.domain.errors import JobFinished, JobNotFound
from profilephoto.domain.models import Identity, Job
from profilephoto.domain.ports import Clock, ConnectionRepository, ObjectStore, UnitOfWork
from profilephoto.services.cancellation import CancellationService

log = logging.getLogger(__name__)

PAGE = 100
# How long DELETE /me holds the account against new jobs: longer than any request may run
# (API Gateway ends one at 29 s), short enough that a deletion cut off midway does not
# lock the account for long (calling DELETE /me again marks it again).
DELETION_HOLD = timedelta(minutes=5)


class AccountDeletionService:
    def __init__(
        self,
        uow: UnitOfWork,
        uploads: ObjectStore,
        results: ObjectStore,
        connections: ConnectionRepository,
        cancellation: CancellationService,
        clock: Clock,
    ) -> None:
        self._uow, self._uploads, self._results = uow, uploads, results
        self._connections, self._cancellation, self._clock = connections, cancellation, clock

    def delete_account(self, identity: Identity) -> None:
        """Delete everything of the caller's but the usage counts (docs/api.md §3.9).

        The account is first marked as being deleted, so no job can start under it while
        this runs (a reservation checks the mark in its own commit: 409 account_deleting).
        Running jobs are canceled next, so a worker that finishes later stores and counts
        nothing; then the objects go by prefix (whatever job, variant or upload they belong
        to), then the job records (an unfinished one the first pass missed is canceled
        before it goes), the sockets and the Users record. Every step is safe to repeat, so
        a retry after a failure finishes the work. Today's usage stays: deleting an account
        must not hand out a fresh quota.
        """
        user_id = identity.user_id
        now = self._clock.now()
        self._uow.users.mark_deleting(user_id, now + DELETION_HOLD, now)
        canceled = self._cancel_unfinished(identity)
        objects = self._uploads.delete_prefix(f"uploads/{user_id}/")
        objects += self._results.delete_prefix(f"results/{user_id}/")
        jobs = 0
        while page := self._uow.jobs.list_for_user(user_id, PAGE, None).items:
            for job in page:
                # On DynamoDB the owner's index may show a job only now (it is eventually
                # consistent): a job that never got its refund must not go without one.
                canceled += self._cancel(identity, job)
                if job.idempotency_key is not None:  # else a retry would replay a gone job
                    self._uow.idempotency.delete(job.idempotency_key)
                self._uow.jobs.delete(job.job_id)
            jobs += len(page)
        # A worker that stored a result between the prefix delete and its failed completion
        # leaves an object no record names: a second pass finds it.
        objects += self._results.delete_prefix(f"results/{user_id}/")
        for connection in self._connections.list_for_user(user_id):
            self._connections.remove(connection.connection_id)
        self._uow.users.delete(user_id)
        log.info(
            "account deleted",
            extra={"userId": user_id, "jobs": jobs, "objects": objects, "canceled": canceled},
        )

    def _cancel_unfinished(self, identity: Identity) -> int:
        canceled, cursor = 0, None
        while True:
            page = self._uow.jobs.list_for_user(identity.user_id, PAGE, cursor)
            canceled += sum(self._cancel(identity, job) for job in page.items)
            if not page.next_token:
                return canceled
            cursor = page.next_token

    def _cancel(self, identity: Identity, job: Job) -> int:
        """Cancel the job when it is unfinished; 1 when this call canceled it."""
        if job.status.is_terminal:
            return 0
        try:
            self._cancellation.cancel_job(identity, job.job_id)
        except (JobFinished, JobNotFound):
            return 0  # it ended (or went) between our read and our cancel
        return 1
