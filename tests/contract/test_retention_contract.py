"""Retention on every runtime's store: what the sweep deletes, and what is gone before it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import JobNotFound
from profilephoto.domain.object_keys import object_key
from tests.conftest import ALICE, World

DAYS = 30  # RESULT_RETENTION_DAYS' default, which the world fixture runs with


def sweep(world: World) -> int:
    return world.container.services.retention().sweep()


def test_the_sweep_keeps_an_expired_jobs_upload_that_a_younger_job_still_reads(world):
    key = world.upload()
    old = world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
    world.process_all()
    world.clock.advance(timedelta(days=DAYS + 1))
    young = world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional")
    )  # still queued

    assert sweep(world) == 1

    assert world.uow.jobs.get(old.job_id) is None
    assert key in world.uploads.objects
    world.process_all()
    assert world.job_json(ALICE, young.job_id)["status"] == "completed"
    # It goes with the last job that uses it.
    world.clock.advance(timedelta(days=DAYS + 1))
    assert sweep(world) == 1
    assert key not in world.uploads.objects


def test_a_finished_job_past_its_deadline_is_gone_before_the_sweep_comes(world):
    gone = world.generate()
    world.process_all()
    world.clock.advance(timedelta(days=DAYS, minutes=1))
    kept = world.generate()
    world.process_all()

    with pytest.raises(JobNotFound):
        world.job_json(ALICE, gone.job_id)
    with pytest.raises(JobNotFound):
        world.queries.result_keys(ALICE, gone.job_id)
    listed = world.jobs_json(ALICE, None, None)["items"]
    assert [item["jobId"] for item in listed] == [kept.job_id]
    assert all(not url.startswith("s3://") for url in listed[0]["resultUrls"])
    # Not yet swept: its record and result are there, and the sweep still finds them.
    stored = world.uow.jobs.get(gone.job_id)
    assert stored is not None and object_key(stored.result_urls[0]) in world.results.objects
    assert sweep(world) == 1


def cancel(world: World, job_id: str) -> None:
    world.container.services.cancellation_service().cancel_job(ALICE, job_id)


def test_a_finished_job_past_its_deadline_cannot_be_canceled_or_deleted_either(world):
    """Cancel and delete see a job as the GETs do: past its deadline it is gone (404), not
    `job_finished` (409), not deleted or canceled again (200), whether or not swept."""
    completed = world.generate()
    world.process_all()
    canceled = world.generate()
    cancel(world, canceled.job_id)
    world.clock.advance(timedelta(days=DAYS, minutes=1))
    before = {job_id: world.uow.jobs.get(job_id) for job_id in (completed.job_id, canceled.job_id)}
    objects = dict(world.results.objects), dict(world.uploads.objects)
    pushes = len(world.notifier.notifications)

    for job_id in before:
        with pytest.raises(JobNotFound):
            cancel(world, job_id)
        with pytest.raises(JobNotFound):
            world.deletion.delete_job(ALICE, job_id)

    # Nothing moved: the sweep deletes them, with their objects, when it comes.
    assert {job_id: world.uow.jobs.get(job_id) for job_id in before} == before
    assert (dict(world.results.objects), dict(world.uploads.objects)) == objects
    assert len(world.notifier.notifications) == pushes
    assert sweep(world) == 2
