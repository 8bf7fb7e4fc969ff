from datetime import timedelta

import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import JobInProgress, JobNotFound
from profilephoto.domain.models import JobStatus
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, BOB, make_world


def test_deleting_a_finished_job_removes_its_photos_and_record_but_not_the_charge(world):
    accepted = world.generate()
    (message,) = world.queue.sent
    world.process_all()
    assert world.results.objects and world.uploads.objects
    assert world.queries.get_usage(ALICE).used == 1

    assert world.deletion.delete_job(ALICE, accepted.job_id).job_id == accepted.job_id
    assert world.results.objects == {}
    assert message.file_key not in world.uploads.objects
    assert world.uow.jobs.get(accepted.job_id) is None
    assert world.queries.get_usage(ALICE).used == 1
    with pytest.raises(JobNotFound):
        world.deletion.delete_job(ALICE, accepted.job_id)


def test_a_failed_job_can_be_deleted_too(world):
    key = world.upload()
    accepted = world.generation.request_generation(ALICE, GenerationRequest(key, "casual"))
    # Re-PUT through the still valid upload URL after /generate checked it.
    world.uploads.write(key, b"not an image at all", "image/jpeg")
    world.process_all()
    world.deletion.delete_job(ALICE, accepted.job_id)
    assert key not in world.uploads.objects


def test_a_running_job_cannot_be_deleted(world):
    accepted = world.generate()
    with pytest.raises(JobInProgress) as raised:
        world.deletion.delete_job(ALICE, accepted.job_id)
    assert raised.value.code == "job_in_progress"
    assert world.uow.jobs.get(accepted.job_id) is not None


@pytest.mark.parametrize("job_id", ["job_unknown", None, 42])
def test_unknown_ids_are_not_found(world, job_id):
    with pytest.raises(JobNotFound):
        world.deletion.delete_job(ALICE, job_id)


def test_another_users_job_is_not_found_and_untouched(world):
    accepted = world.generate()
    world.process_all()
    with pytest.raises(JobNotFound):
        world.deletion.delete_job(BOB, accepted.job_id)
    assert world.results.objects


def test_deleting_a_finished_job_keeps_the_photo_a_queued_sibling_still_needs(world):
    key = world.upload()
    first = world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
    sibling = world.generation.request_generation(ALICE, GenerationRequest(key, "casual"))
    first_message, sibling_message = world.queue.drain()
    assert world.processing.process(first_message).outcome is Outcome.COMPLETED
    world.deletion.delete_job(ALICE, first.job_id)
    assert key in world.uploads.objects
    assert world.processing.process(sibling_message).outcome is Outcome.COMPLETED
    # Once nothing unfinished needs it, deleting the last job takes the photo too.
    world.deletion.delete_job(ALICE, sibling.job_id)
    assert key not in world.uploads.objects


def test_the_photo_is_kept_for_an_unfinished_sibling_found_on_a_later_page():
    world = make_world(daily_limit=500)
    key = world.upload()
    sibling = world.generation.request_generation(ALICE, GenerationRequest(key, "casual"))
    for _ in range(120):  # newer finished jobs push the sibling past the first page
        world.clock.advance(timedelta(seconds=1))
        world.generate()
    world.process_all()  # everyone finishes but the sibling, whose message is lost
    world.uow.job_records[sibling.job_id] = world.uow.jobs.get(sibling.job_id).model_copy(
        update={"status": JobStatus.QUEUED, "error": None}
    )
    world.clock.advance(timedelta(seconds=1))
    latest = world.generation.request_generation(ALICE, GenerationRequest(key, "creative"))
    world.process_all()
    world.deletion.delete_job(ALICE, latest.job_id)
    assert key in world.uploads.objects


def test_deleting_a_job_also_removes_images_an_attempt_left_in_its_folder(world):
    # A worker that died inside the final push never tidied the job's folder
    # (docs/api.md §4.1): deleting the job must still leave none of its images.
    accepted = world.generate()
    world.process_all()
    stray = f"results/alice/{accepted.job_id}/2.png"
    world.results.write(stray, b"an earlier attempt's image", "image/png")
    world.deletion.delete_job(ALICE, accepted.job_id)
    assert world.results.objects == {}
