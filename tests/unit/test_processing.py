from datetime import timedelta

import pytest

from profilephoto.adapters.memory.photos import portrait_measures
from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import (
    ContentBlocked,
    GenerationFailed,
    InvalidImage,
    RetryLater,
    ServiceUnavailable,
    TransientGenerationError,
)
from profilephoto.domain.models import JobMessage, JobStatus
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, make_world
from tests.jobs import claim_of


def queued(world):
    accepted = world.generate()
    (message,) = world.queue.drain()
    return accepted.job_id, message


def another_worker_claims(world, job_id, lease):
    now = world.clock.now()
    return world.uow.apply(claim_of(world.uow.jobs.get(job_id), now, now + lease))


def used(world) -> int:
    return world.queries.get_usage(ALICE).used


def finals(world):
    return [m for _, m in world.notifier.notifications if m.status.is_terminal]


def test_a_job_is_processed_to_one_stored_result_and_one_notification(world):
    job_id, message = queued(world)
    assert world.processing.process(message).outcome is Outcome.COMPLETED
    job = world.uow.jobs.get(job_id)
    assert job.status is JobStatus.COMPLETED
    assert job.metadata["model"] == "scripted-fake"
    assert job.metadata["usage"] == {"promptTokens": 10, "outputTokens": 20}
    assert list(world.results.objects) == [f"results/alice/{job_id}/0.png"]
    assert world.uow.users.get("alice").total_images_generated == 1
    ((_, started), (user, note)) = world.notifier.notifications
    assert (started.status, started.job_id) == (JobStatus.PROCESSING, job_id)
    assert started.result_url is None
    assert (user, note.status, note.job_id) == ("alice", JobStatus.COMPLETED, job_id)
    assert note.result_url
    assert used(world) == 1


def test_a_completed_job_is_pushed_even_when_its_result_urls_cannot_be_signed(world):
    job_id, message = queued(world)

    def unsigned(key: str, expires_in: int) -> str:
        raise ServiceUnavailable("no credentials to sign with")

    world.results.presign_download = unsigned

    assert world.processing.process(message).outcome is Outcome.COMPLETED

    (note,) = finals(world)
    assert (note.job_id, note.status, note.result_url) == (job_id, JobStatus.COMPLETED, None)
    assert world.uow.jobs.get(job_id).status is JobStatus.COMPLETED


def test_duplicate_processing_of_one_job_does_nothing_the_second_time(world):
    _job_id, message = queued(world)
    world.processing.process(message)
    assert world.processing.process(message).outcome is Outcome.SKIPPED
    assert world.processing.process(message).outcome is Outcome.SKIPPED
    assert len(world.results.objects) == 1
    assert world.uow.users.get("alice").total_images_generated == 1
    assert len(finals(world)) == 1
    assert len(world.generator.calls) == 1


def test_a_twin_message_during_a_live_lease_is_acknowledged_and_ignored(world):
    job_id, message = queued(world)
    another_worker_claims(world, job_id, lease=timedelta(minutes=5))
    assert world.processing.process(message).outcome is Outcome.SKIPPED
    assert world.generator.calls == []


def test_a_job_whose_worker_died_is_taken_over_after_the_lease(world):
    job_id, message = queued(world)
    another_worker_claims(world, job_id, lease=timedelta(minutes=5))
    world.clock.advance(timedelta(minutes=5))
    assert world.processing.process(message).outcome is Outcome.COMPLETED


def test_a_message_that_arrives_before_the_job_is_marked_queued_is_processed(world):
    accepted = world.generate()
    job = world.uow.jobs.get(accepted.job_id)
    # Rewind to the moment between send and mark-queued.
    world.uow.job_records[job.job_id] = job.model_copy(update={"status": JobStatus.PENDING})
    (message,) = world.queue.drain()
    assert world.processing.process(message).outcome is Outcome.COMPLETED


@pytest.mark.parametrize(
    ("error", "refunded"),
    [
        (InvalidImage("not a photo"), False),
        (ContentBlocked("blocked"), False),
        (GenerationFailed("text only"), True),
    ],
)
def test_permanent_failures_fail_at_once_and_refund_only_system_faults(error, refunded):
    world = make_world()
    job_id, message = queued(world)
    world.generator.then(error)
    assert world.processing.process(message).outcome is Outcome.FAILED
    job = world.uow.jobs.get(job_id)
    assert (job.status, job.error.code) == (JobStatus.FAILED, error.code)
    assert used(world) == (0 if refunded else 1)
    assert [n.error.code for n in finals(world)] == [error.code]
    assert world.results.objects == {}


def test_an_upload_that_is_not_an_image_fails_as_invalid_image_without_refund(world):
    key = world.upload()
    world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
    # Re-PUT through the still valid upload URL after /generate checked it.
    world.uploads.write(key, b"hello, I am text", "image/jpeg")
    assert world.process_all() == [Outcome.FAILED]
    assert used(world) == 1
    assert world.generator.calls == []


def test_a_transient_failure_is_retried_and_then_succeeds(world):
    job_id, message = queued(world)
    world.generator.then(TransientGenerationError("429"))
    with pytest.raises(RetryLater):
        world.processing.process(message)
    assert world.uow.jobs.get(job_id).status is JobStatus.PROCESSING
    assert world.processing.process(message).outcome is Outcome.COMPLETED
    assert used(world) == 1
    assert world.uow.jobs.get(job_id).attempts == 2


def test_storage_outages_are_transient_too(world):
    _, message = queued(world)
    world.results.fail_next(ServiceUnavailable("S3 503"), operation="write")
    with pytest.raises(RetryLater):
        world.processing.process(message)
    assert world.processing.process(message).outcome is Outcome.COMPLETED


def test_the_last_attempt_fails_and_refunds_instead_of_going_to_the_dead_letter_queue(world):
    job_id, message = queued(world)
    world.generator.then(*[TransientGenerationError("503")] * 3)
    for _ in (1, 2):
        with pytest.raises(RetryLater):
            world.processing.process(message)
    assert world.processing.process(message).outcome is Outcome.FAILED
    job = world.uow.jobs.get(job_id)
    assert job.error.code == "generation_failed"
    assert "3 attempts" in job.error.message
    assert used(world) == 0


def test_an_unexpected_bug_does_not_lose_the_job(world):
    _job_id, message = queued(world)
    world.generator.then(ZeroDivisionError("oops"))
    with pytest.raises(RetryLater):
        world.processing.process(message)
    assert world.processing.process(message).outcome is Outcome.COMPLETED


def test_a_vanished_upload_fails_with_a_refund(world):
    job_id, message = queued(world)
    world.uploads.delete(message.file_key)
    assert world.processing.process(message).outcome is Outcome.FAILED
    assert world.uow.jobs.get(job_id).error.code == "upload_not_found"
    assert used(world) == 0


@pytest.mark.parametrize("field", ["user_id", "style", "file_key", "job_id"])
def test_a_message_that_disagrees_with_its_job_is_dropped(world, field):
    job_id, message = queued(world)
    forged = message.model_copy(
        update={
            field: "uploads/mallory/x.jpg"
            if field == "file_key"
            else "casual"
            if field == "style"
            else "mallory"
        }
    )
    assert world.processing.process(forged).outcome is Outcome.SKIPPED
    assert world.generator.calls == []
    assert world.uow.jobs.get(job_id).status is JobStatus.QUEUED


def test_a_message_for_an_unknown_job_is_dropped(world):
    ghost = JobMessage(job_id="job_" + "f" * 32, user_id="alice", file_key="k", style="casual")
    assert world.processing.process(ghost).outcome is Outcome.SKIPPED


@pytest.mark.parametrize("job_id", ["", "job_", "../etc", "job_" + "g" * 32, "idem#alice#k"])
def test_a_message_with_a_malformed_job_id_is_refused_before_any_lookup(job_id):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        JobMessage(job_id=job_id, user_id="alice", file_key="k", style="casual")


def test_a_worker_that_outlived_its_lease_does_not_cut_short_the_next_workers_lease(world):
    job_id, message = queued(world)
    taken_over = {}

    class SlowThenFailing:
        """The model answers after the lease ran out; meanwhile another worker took over."""

        model_name = "slow"

        def generate(self, images, style, *, aspect_ratio="1:1", seed=0):
            world.clock.advance(timedelta(minutes=6))
            taken_over["job"] = another_worker_claims(world, job_id, lease=timedelta(minutes=5))
            raise TransientGenerationError("503 after a long wait")

    world.container.generator.override(SlowThenFailing())
    assert world.processing.process(message).outcome is Outcome.SKIPPED
    assert world.uow.jobs.get(job_id).lease_expires_at == taken_over["job"].lease_expires_at


def test_a_rejected_photo_fails_the_job_refunded_and_the_model_is_never_called(world):
    job_id, message = queued(world)
    world.inspector.then(portrait_measures(faces=(), main_face=None))

    assert world.processing.process(message).outcome is Outcome.FAILED

    job = world.uow.jobs.get(job_id)
    assert job.status is JobStatus.FAILED
    assert (job.error.code, job.error.reason, job.error.photo_index) == (
        "photo_rejected",
        "no_face",
        0,
    )
    assert "not charged" in job.error.message
    assert world.generator.calls == []
    assert world.results.objects == {}
    assert used(world) == 0
    [final] = finals(world)
    assert final.error.reason == "no_face"


def test_the_job_error_on_the_wire_names_the_reason_and_the_photo(world):
    job_id, message = queued(world)
    world.inspector.then(portrait_measures(main_face=None, faces=()))
    world.processing.process(message)
    view = world.job_json(ALICE, job_id)
    assert view["error"]["code"] == "photo_rejected"
    assert (view["error"]["reason"], view["error"]["photoIndex"]) == ("no_face", 0)


def test_the_photo_is_checked_after_normalising_and_before_the_model(world):
    _job_id, message = queued(world)
    world.processing.process(message)
    [inspected] = world.inspector.inspected
    [call] = world.generator.calls
    assert (inspected,) == call.images  # the very image the model gets, not the raw upload


def test_with_the_check_off_a_photo_the_check_would_reject_is_generated():
    world = make_world(photo_check=None)
    job_id, message = queued(world)
    world.inspector.then(portrait_measures(faces=(), main_face=None))
    assert world.processing.process(message).outcome is Outcome.COMPLETED
    assert world.inspector.inspected == []
    assert world.uow.jobs.get(job_id).status is JobStatus.COMPLETED


def test_the_main_photo_goes_to_the_model_at_1024_pixels(world):
    _job_id, message = queued(world)
    world.processing.process(message)
    assert world.images.max_sides == [1024]


def test_a_completed_job_records_the_cost_its_model_calls_reported(world):
    world.generator.cost_usd = 0.0125
    job_id, message = queued(world)
    world.processing.process(message)
    assert world.uow.jobs.get(job_id).metadata["costUsd"] == 0.0125


def test_a_model_without_a_price_leaves_the_cost_out(world):
    job_id, message = queued(world)
    world.processing.process(message)
    assert "costUsd" not in world.uow.jobs.get(job_id).metadata
