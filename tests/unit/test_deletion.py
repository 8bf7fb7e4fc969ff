import pytest

from profilephoto.domain.errors import JobInProgress, JobNotFound
from tests.conftest import ALICE, BOB


def test_deleting_a_finished_job_removes_its_photos_and_record_but_not_the_charge(world):
    accepted = world.generate()
    (message,) = world.queue.sent
    world.process_all()
    assert world.results.objects and world.uploads.objects
    assert world.queries.get_usage(ALICE).used == 1

    assert world.deletion.delete_job(ALICE, accepted.job_id) == {
        "jobId": accepted.job_id,
        "deleted": True,
    }
    assert world.results.objects == {}
    assert message.file_key not in world.uploads.objects
    assert world.uow.jobs.get(accepted.job_id) is None
    assert world.queries.get_usage(ALICE).used == 1
    with pytest.raises(JobNotFound):
        world.deletion.delete_job(ALICE, accepted.job_id)


def test_a_failed_job_can_be_deleted_too(world):
    key = world.upload()
    accepted = world.generation.request_generation(ALICE, key, "casual")
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
