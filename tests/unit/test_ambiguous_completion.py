"""A completion that took effect but whose answer was lost: the final push still goes out."""

import pytest
from dependency_injector import providers

from profilephoto.domain.errors import RetryLater, ServiceUnavailable
from profilephoto.domain.models import JobStatus
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, make_world
from tests.faults.proxy import FaultPlan, Faulty, Mode


def faulty_world():
    world = make_world()
    plan = FaultPlan(ServiceUnavailable, ServiceUnavailable)
    world.container.uow.override(providers.Object(Faulty(world.container.uow(), "uow", plan)))
    return world, plan


def finals(world, job_id: str) -> list[JobStatus]:
    return [
        message.status
        for _, message in world.notifier.notifications
        if message.job_id == job_id and message.status.is_terminal
    ]


def test_a_lost_answer_to_the_completing_write_still_sends_one_final_push():
    world, plan = faulty_world()
    accepted = world.generate()
    plan.add("uow.apply:complete", Mode.LOST)
    assert world.process_all() == [Outcome.COMPLETED]
    assert plan.fired == ["uow.apply:complete"]
    job = world.uow.jobs.get(accepted.job_id)
    assert job.status is JobStatus.COMPLETED
    assert finals(world, accepted.job_id) == [JobStatus.COMPLETED]
    pushes = [m for _, m in world.notifier.notifications if m.job_id == accepted.job_id]
    assert [m.status for m in pushes] == [JobStatus.PROCESSING, JobStatus.COMPLETED]
    push = pushes[-1]
    assert push.result_urls and push.result_url == push.result_urls[0]
    assert world.queries.get_usage(ALICE).used == 1
    assert world.uow.users.get("alice").total_images_generated == 1


def test_a_completing_write_that_did_not_happen_is_retried_and_pushed_once():
    world, plan = faulty_world()
    accepted = world.generate()
    plan.add("uow.apply:complete", Mode.TRANSIENT)
    (message,) = world.queue.drain()
    with pytest.raises(RetryLater):
        world.processing.process(message)
    assert world.processing.process(message).outcome is Outcome.COMPLETED
    assert finals(world, accepted.job_id) == [JobStatus.COMPLETED]
