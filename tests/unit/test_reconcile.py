import contextlib
from datetime import timedelta

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import QueueUnavailable
from profilephoto.domain.models import JobStatus
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, make_world
from tests.jobs import claim_of


def used(world) -> int:
    return world.queries.get_usage(ALICE).used


def stuck_pending(world) -> str:
    """A job whose API call died between the reservation and the send."""
    key = world.upload()
    world.queue.fail_next(QueueUnavailable())
    world.uow.fail_next(RuntimeError("lambda timed out"), operation="fail")
    with contextlib.suppress(RuntimeError):
        world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
    (job,) = world.uow.job_records.values()
    assert job.status is JobStatus.PENDING
    return job.job_id


def test_a_job_that_never_reached_the_queue_is_requeued_and_then_completes(world):
    job_id = stuck_pending(world)
    world.clock.advance(timedelta(minutes=16))
    report = world.reconciler.sweep()
    assert report.requeued == [job_id]
    assert world.uow.jobs.get(job_id).status is JobStatus.QUEUED
    assert world.process_all() == [Outcome.COMPLETED]


def test_young_jobs_are_left_alone(world):
    stuck_pending(world)
    world.clock.advance(timedelta(minutes=5))
    assert world.reconciler.sweep().requeued == []
    assert world.queue.sent == []


def test_a_job_out_of_attempts_is_failed_timed_out_and_refunded(world):
    accepted = world.generate()
    world.queue.drain()
    job = world.uow.jobs.get(accepted.job_id)
    world.uow.job_records[job.job_id] = job.model_copy(
        update={"status": JobStatus.PROCESSING, "attempts": 3}
    )
    world.clock.advance(timedelta(minutes=16))
    report = world.reconciler.sweep()
    assert report.failed == [accepted.job_id]
    assert world.uow.jobs.get(accepted.job_id).error.code == "timed_out"
    assert used(world) == 0
    assert world.notifier.notifications[-1][1].status is JobStatus.FAILED


def test_a_processing_job_with_a_live_lease_is_not_touched(world):
    accepted = world.generate()
    (_message,) = world.queue.drain()
    world.clock.advance(timedelta(minutes=16))
    now = world.clock.now()
    world.uow.apply(claim_of(world.uow.jobs.get(accepted.job_id), now, now + timedelta(hours=1)))
    world.clock.advance(timedelta(minutes=16))
    assert world.reconciler.sweep().requeued == []


def test_a_queued_job_whose_message_was_lost_is_sent_again():
    world = make_world()
    accepted = world.generate()
    world.queue.drain()  # the message is lost
    world.clock.advance(timedelta(minutes=16))
    assert world.reconciler.sweep().requeued == [accepted.job_id]
    assert world.process_all() == [Outcome.COMPLETED]


def test_a_job_that_never_ends_is_given_up_on_eventually(world):
    accepted = world.generate()
    for _ in range(5):
        world.queue.drain()
        world.clock.advance(timedelta(minutes=16))
        world.reconciler.sweep()
    job = world.uow.jobs.get(accepted.job_id)
    assert (job.status, job.error.code) == (JobStatus.FAILED, "timed_out")
    assert used(world) == 0


def test_a_job_claimed_again_between_the_sweeps_read_and_its_write_is_not_given_up(world):
    # The job's worker died (lease over, attempts spent); as the sweep reads it, a
    # redelivered message claims it and a live worker starts the model.
    accepted = world.generate()
    world.queue.drain()
    job = world.uow.jobs.get(accepted.job_id)
    world.uow.job_records[job.job_id] = job.model_copy(
        update={
            "status": JobStatus.PROCESSING,
            "attempts": 3,
            "lease_expires_at": world.clock.now(),
        }
    )
    world.clock.advance(timedelta(minutes=16))
    list_created_before = world.uow.jobs.list_created_before

    def read_then_redelivered(*args, **kwargs):
        found = list_created_before(*args, **kwargs)
        for stuck in found:
            now = world.clock.now()
            world.uow.apply(claim_of(stuck, now, now + timedelta(minutes=5)))
        return found

    world.uow.jobs.list_created_before = read_then_redelivered
    report = world.reconciler.sweep()
    assert report.failed == []
    assert world.uow.jobs.get(accepted.job_id).status is JobStatus.PROCESSING
    assert used(world) == 1  # not refunded while the model runs


def test_one_job_that_cannot_be_given_up_does_not_stop_the_sweep(world, caplog):
    ids = []
    for _ in range(3):
        accepted = world.generate()
        job = world.uow.jobs.get(accepted.job_id)
        world.uow.job_records[job.job_id] = job.model_copy(
            update={"status": JobStatus.PROCESSING, "attempts": 3}
        )
        ids.append(accepted.job_id)
        world.clock.advance(timedelta(seconds=1))
    world.queue.drain()
    world.clock.advance(timedelta(minutes=16))
    world.uow.fail_next(RuntimeError("a bug in one job"), operation="give_up")
    report = world.reconciler.sweep()
    assert report.failed == ids[1:]
    assert report.errors == 1
    assert "sweep could not handle a job" in caplog.text
    world.clock.advance(timedelta(minutes=1))
    assert world.reconciler.sweep().failed == ids[:1]  # the next sweep finishes it
    assert used(world) == 0


def test_a_listing_that_fails_for_one_status_does_not_stop_the_others(world):
    stuck = stuck_pending(world)
    world.clock.advance(timedelta(minutes=16))
    list_created_before = world.uow.jobs.list_created_before

    def broken_for_processing(status, *args, **kwargs):
        if status is JobStatus.PROCESSING:
            raise RuntimeError("index unavailable")
        return list_created_before(status, *args, **kwargs)

    world.uow.jobs.list_created_before = broken_for_processing
    report = world.reconciler.sweep()
    assert report.requeued == [stuck] and report.errors == 1
