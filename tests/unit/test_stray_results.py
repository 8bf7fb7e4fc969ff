"""Results a crashed attempt stored are never left behind: a job that ends keeps only the
objects it references (docs/api.md §4.1)."""

import pytest
from dependency_injector import providers

from profilephoto.domain.errors import ContentBlocked, GenerationFailed, ServiceUnavailable
from profilephoto.domain.models import JobStatus
from profilephoto.domain.object_keys import object_key
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, make_world
from tests.faults.proxy import FaultPlan, Faulty, Mode, WorkerCrash


def crashed_after_storing(count: int = 1):
    """A world whose first worker stored `count` results, then died before completing."""
    world = make_world()
    plan = FaultPlan(ServiceUnavailable, ServiceUnavailable)
    world.container.uow.override(providers.Object(Faulty(world.container.uow(), "uow", plan)))
    accepted = world.generate(count=count)
    plan.add("uow.apply:complete", Mode.CRASH)
    (message,) = world.queue.drain()
    with pytest.raises(WorkerCrash):
        world.processing.process(message)
    assert len(world.results.objects) == count  # what the crash left behind
    # The lease of the dead worker runs out before SQS delivers the message again.
    world.clock.advance(world.config.processing_lease * 2)
    return world, accepted.job_id, message


def test_a_job_that_fails_after_a_crashed_attempt_keeps_no_result_object():
    world, job_id, message = crashed_after_storing()
    world.generator.then(GenerationFailed("the model is down for good"))
    assert world.processing.process(message).outcome is Outcome.FAILED
    assert world.uow.jobs.get(job_id).status is JobStatus.FAILED
    assert world.results.objects == {}


def test_a_job_the_sweep_gives_up_keeps_no_result_object():
    world, job_id, _ = crashed_after_storing()  # the message is lost for good
    stuck = world.config.stuck_after * (world.config.max_attempts + 2)
    world.clock.advance(stuck)
    assert world.reconciler.sweep().failed == [job_id]
    assert world.results.objects == {}


def test_a_job_canceled_after_a_crashed_attempt_keeps_no_result_object():
    world, job_id, _ = crashed_after_storing()
    world.container.services.cancellation_service().cancel_job(ALICE, job_id)
    assert world.uow.jobs.get(job_id).status is JobStatus.CANCELED
    assert world.results.objects == {}


def test_a_retry_that_makes_fewer_variants_leaves_only_the_images_it_completed_with():
    world, job_id, message = crashed_after_storing(count=3)
    world.generator.then(None, ContentBlocked("no"), ContentBlocked("no"))
    assert world.processing.process(message).outcome is Outcome.COMPLETED
    job = world.uow.jobs.get(job_id)
    assert len(job.result_urls) == 1
    assert set(world.results.objects) == {object_key(url) for url in job.result_urls}
    assert world.queries.get_usage(ALICE).used == 1
