"""A finished job's results folder holds exactly the images the job references."""

from __future__ import annotations

import logging

from profilephoto.domain.models import Job
from profilephoto.domain.object_keys import object_key
from profilephoto.domain.ports import ObjectStore
from profilephoto.domain.upload_policy import result_prefix

log = logging.getLogger(__name__)


def discard_strays(results: ObjectStore, job: Job) -> None:
    """Delete what attempts that never completed stored in the job's folder: a worker that
    died after writing, or a retry that made fewer variants (docs/api.md §4.1).

    Called once the job has ended, after its final push. A store that is down leaves the
    strays to the bucket's retention rule: the job's outcome is already decided and told.
    """
    keep = {object_key(url) for url in job.result_urls}
    try:
        deleted = results.delete_prefix(result_prefix(job.user_id, job.job_id), keep=keep)
    except Exception:
        log.warning("stray results not deleted", extra={"jobId": job.job_id}, exc_info=True)
        return
    if deleted:
        log.info("stray results deleted", extra={"jobId": job.job_id, "objects": deleted})
