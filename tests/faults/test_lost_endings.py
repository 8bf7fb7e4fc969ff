"""A write that ends a job takes effect but its answer is lost: the end is still pushed once.

Found by the state machine (test_stateful.py): a worker's failing write that timed out after
taking effect left a failed job that nobody ever pushed; the sweep's give-up and a cancel
had the same hole.
"""

from __future__ import annotations

import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import ContentBlocked, ServiceUnavailable
from profilephoto.domain.models import JobStatus
from tests.conftest import ALICE
from tests.faults.production import (
    StepPlan,
    deliver_everything,
    faulty_world,
    invariant_violations,
    run_as_production,
)
from tests.faults.proxy import Mode

RUNTIMES = pytest.mark.parametrize("runtime", ["memory", "sqlite", "dynamodb"])


@RUNTIMES
def test_a_failure_whose_write_answer_was_lost_is_pushed_once(runtime):
    plan = StepPlan()
    with faulty_world(runtime, plan) as world:
        world.generator.then(ContentBlocked("blocked"))
        key = world.upload()
        plan.add("uow.apply:fail", Mode.LOST)
        run_as_production(world, key)
        assert plan.fired == ["uow.apply:fail"]
        assert invariant_violations(world) == []


@RUNTIMES
def test_a_give_up_whose_write_answer_was_lost_is_pushed_once(runtime):
    plan = StepPlan()
    with faulty_world(runtime, plan) as world:
        world.generation.request_generation(
            ALICE, GenerationRequest(world.upload(), "professional")
        )
        world.queue.drain()  # the message is lost: only the sweep can end the job
        plan.add("uow.apply:give_up", Mode.LOST)
        for _ in range(3):
            world.clock.advance(world.config.stuck_after * (world.config.max_attempts + 2))
            world.reconciler.sweep()
        assert plan.fired == ["uow.apply:give_up"]
        assert invariant_violations(world) == []


@RUNTIMES
def test_a_cancel_whose_write_answer_was_lost_is_pushed_once_when_the_client_retries(runtime):
    plan = StepPlan()
    with faulty_world(runtime, plan) as world:
        job_id = world.generation.request_generation(
            ALICE, GenerationRequest(world.upload(), "professional")
        ).job_id
        plan.add("uow.apply:cancel", Mode.LOST)
        cancellation = world.container.services.cancellation_service()
        for _ in range(2):  # a 503 is retried
            try:
                assert cancellation.cancel_job(ALICE, job_id).status is JobStatus.CANCELED
                break
            except ServiceUnavailable:
                continue
        deliver_everything(world, {})
        assert plan.fired == ["uow.apply:cancel"]
        assert world.uow.jobs.get(job_id).status is JobStatus.CANCELED
        assert invariant_violations(world) == []
