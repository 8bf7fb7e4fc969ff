"""A job change whose answer was lost: the record says whether it took effect."""

from __future__ import annotations

import logging

from profilephoto.domain.errors import ConditionFailed
from profilephoto.domain.job_lifecycle import JobChange
from profilephoto.domain.models import Job
from profilephoto.domain.ports import UnitOfWork

log = logging.getLogger(__name__)


def apply_or_read_back(uow: UnitOfWork, change: JobChange) -> Job:
    """Apply `change`. A write that fails without a clear no (a timeout after the store
    took it, a dropped answer) is decided by the record: when it shows this very change,
    the job is returned, so the caller goes on to push an end that nobody else will push
    (a retry finds the job ended and does nothing; docs/api.md §4.1). Otherwise the
    write's error goes on. ConditionFailed is a clear no."""
    try:
        return uow.apply(change)
    except ConditionFailed:
        raise
    except Exception:
        try:
            record = uow.jobs.get(change.job_id)
        except Exception:
            record = None
        if record is None or not shows(record, change):
            raise
        log.warning(
            "job change took effect; its answer was lost",
            extra={"jobId": change.job_id, "change": change.name},
        )
        return record


def shows(record: Job, change: JobChange) -> bool:
    """The stored job carries every field `change` writes (its `updated_at` included, so
    an older change to the same status does not count)."""
    return all(getattr(record, name) == value for name, value in change.updates.items())
