"""DELETE /jobs/{jobId} on every runtime's store: what goes with a job's Idempotency-Key."""

from __future__ import annotations

import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import IdempotencyConflict, JobNotFound, QueueUnavailable
from profilephoto.domain.models import GenerationAccepted, Job, JobStatus
from tests.conftest import ALICE, World


def generate(world: World, file_key: str, idempotency_key: str = "k") -> GenerationAccepted:
    return world.generation.request_generation(
        ALICE, GenerationRequest(file_key, "professional", idempotency_key=idempotency_key)
    )


def jobs_of(world: World) -> list[Job]:
    return world.uow.jobs.list_for_user("alice", 100, None).items


def used(world: World) -> int:
    return world.queries.get_usage(ALICE).used


def test_a_deleted_jobs_key_still_replays_its_202_within_the_day_and_charges_nothing(world):
    """docs/api.md §3.2: the same key and body within 24 h return the first response again,
    create no second job and charge nothing more; deleting the job does not lift that."""
    photo = world.upload()
    first = generate(world, photo)
    world.process_all()
    world.deletion.delete_job(ALICE, first.job_id)

    again = generate(world, photo)

    assert again.job_id == first.job_id
    assert jobs_of(world) == [] and used(world) == 1 and world.queue.sent == []
    with pytest.raises(JobNotFound):  # deleted, as its owner asked
        world.job_json(ALICE, first.job_id)
    with pytest.raises(IdempotencyConflict):
        generate(world, world.upload())


def test_deleting_a_job_whose_request_was_answered_503_lets_the_key_run_again(world):
    """A 503 is never a final answer for a key: deleting the failed job must not turn the
    retry into a replayed 202 for a job that never ran and is gone."""
    photo = world.upload()
    world.queue.fail_next(QueueUnavailable())
    with pytest.raises(QueueUnavailable):
        generate(world, photo)
    # A job of the same photo still queued keeps the photo when the failed one goes.
    sibling = world.generation.request_generation(ALICE, GenerationRequest(photo, "professional"))
    (failed,) = [job for job in jobs_of(world) if job.status is JobStatus.FAILED]
    world.deletion.delete_job(ALICE, failed.job_id)

    retried = generate(world, photo)

    assert retried.job_id not in {failed.job_id, sibling.job_id}
    assert world.job_json(ALICE, retried.job_id)["status"] == "queued"
    assert used(world) == 2
    assert generate(world, photo).job_id == retried.job_id  # and its 202 replays


def test_deleting_the_failed_job_keeps_the_key_that_a_retry_took_over(world):
    photo = world.upload()
    world.queue.fail_next(QueueUnavailable())
    with pytest.raises(QueueUnavailable):
        generate(world, photo)
    retried = generate(world, photo)
    (failed,) = [job for job in jobs_of(world) if job.status is JobStatus.FAILED]

    world.deletion.delete_job(ALICE, failed.job_id)

    assert generate(world, photo).job_id == retried.job_id
    assert used(world) == 1 and [job.job_id for job in jobs_of(world)] == [retried.job_id]
