"""Use case: a user deletes their data (photos, results, jobs, sockets, record) at once."""

from __future__ import annotations

import logging

from profilephoto.domain.errors import JobFinished, JobNotFound
from profilephoto.domain.models import Identity
from profilephoto.domain.ports import ConnectionRepository, ObjectStore, UnitOfWork
from profilephoto.services.cancellation import CancellationService

log = logging.getLogger(__name__)

PAGE = 100


class AccountDeletionService:
    def __init__(
        self,
        uow: UnitOfWork,
        uploads: ObjectStore,
        results: ObjectStore,
        connections: ConnectionRepository,
        cancellation: CancellationService,
    ) -> None:
        self._uow, self._uploads, self._results = uow, uploads, results
        self._connections, self._cancellation = connections, cancellation

    def delete_account(self, identity: Identity) -> None:
        """Delete everything of the caller's but the usage counts (docs/api.md §3.9).

        Running jobs are canceled first, so a worker that finishes later stores and counts
        nothing; then the objects go by prefix (whatever job, variant or upload they belong
        to), then the job records, the sockets and the Users record. Every step is safe to
        repeat, so a retry after a failure finishes the work. Today's usage stays: deleting
        an account must not hand out a fresh quota.
        """
        user_id = identity.user_id
        canceled = self._cancel_unfinished(identity)
        objects = self._uploads.delete_prefix(f"uploads/{user_id}/")
        objects += self._results.delete_prefix(f"results/{user_id}/")
        jobs = 0
        while page := self._uow.jobs.list_for_user(user_id, PAGE, None).items:
            for job in page:
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
            for job in page.items:
                if job.status.is_terminal:
                    continue
                try:
                    self._cancellation.cancel_job(identity, job.job_id)
                    canceled += 1
                except (JobFinished, JobNotFound):
                    pass  # it ended (or went) between our read and our cancel
            if not page.next_token:
                return canceled
            cursor = page.next_token
