"""What the owner is told as a job runs (once when it starts, once when it ends), its
webhook's event at the end, and a results folder that holds exactly the images the job
references at its end."""

from __future__ import annotations

import logging

from profilephoto.domain.models import Job, JobStatus, JobStatusMessage
from profilephoto.domain.object_keys import object_key
from profilephoto.domain.ports import Notifier, ObjectStore, UnsentWebhooks, WebhookOutbox
from profilephoto.domain.upload_policy import result_prefix
from profilephoto.services.webhooks import announce

log = logging.getLogger(__name__)


def close_out(
    notifier: Notifier,
    results: ObjectStore,
    job: Job,
    result_urls: list[str] | None = None,
    *,
    webhooks: WebhookOutbox | None,
    unsent: UnsentWebhooks,
) -> None:
    """Everything that follows a job's end, in this order: the final push, the webhook's
    event (kept unsent by the end's own commit until it is queued), then tidying the folder
    when an attempt other than a completing one may have stored images there (a
    completion's own attempt overwrote its keys; any other end had none to keep)."""
    push_final(notifier, job, result_urls)
    announce(webhooks, unsent, job)
    if job.attempts > (1 if job.status is JobStatus.COMPLETED else 0):
        discard_strays(results, job)


def push_started(notifier: Notifier, job: Job) -> None:
    """Tell the owner's sockets a worker took the job (its first claim only: a retry's
    claim changes nothing they can see), so a timeline shows the step it went through."""
    if job.attempts == 1:
        push_final(notifier, job)


def push_final(notifier: Notifier, job: Job, result_urls: list[str] | None = None) -> None:
    """Tell the owner's sockets the job's status (how it ended, or push_started's). A push
    is a courtesy (clients can always poll), so a notifier that breaks its promise never
    to raise cannot undo the job's end."""
    message = JobStatusMessage(
        job_id=job.job_id,
        status=job.status,
        result_url=result_urls[0] if result_urls else None,
        result_urls=result_urls,
        error=job.error,
    )
    try:
        notifier.notify(job.user_id, message)
    except Exception:
        log.exception("final push failed", extra={"jobId": job.job_id})


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
