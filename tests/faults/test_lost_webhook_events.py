"""A worker that dies between a job's end and queueing its webhook event loses nothing: the
event was kept in the end's own commit (the transactional outbox), and the sweep queues it.

Before the outbox, the event went to the webhooks' queue only after the commit, so a worker
that died in between (or a queue that was down) lost it for good.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

import pytest

from profilephoto.adapters.memory import RecordingWebhookSender
from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.models import JobStatus
from profilephoto.domain.webhooks import UNSENT_GRACE, WebhookEvent
from tests.conftest import ALICE, World
from tests.faults.production import StepPlan, faulty_world
from tests.faults.proxy import Mode, WorkerCrash

RUNTIMES = pytest.mark.parametrize("runtime", ["memory", "sqlite", "dynamodb"])
HOOK = "https://hooks.example.com/profilephoto"


def queued_events(world: World) -> list[WebhookEvent]:
    return world.container.webhooks().drain()


def deliver(world: World, events: list[WebhookEvent]) -> list[str]:
    """Each event's first attempt; the `webhook-id` of every POST the receiver got so far."""
    delivery = world.container.services.webhook_delivery()
    for event in events:
        delivery.deliver(event, 1)
    sender: RecordingWebhookSender = world.container.webhook_sender()
    return [sent.headers["webhook-id"] for sent in sender.sent]


def completed_while_dying(world: World, plan: StepPlan, step: str, mode: Mode) -> str:
    """A job with a webhook, processed by a worker that fails at `step` as `mode` says."""
    job_id = world.generation.request_generation(
        ALICE, GenerationRequest(world.upload(), "professional", webhook=HOOK)
    ).job_id
    plan.add(step, mode)
    (message,) = world.queue.drain()
    with suppress(WorkerCrash):  # the worker dies (a Lambda timeout): no handler runs
        world.processing.process(message)
    assert plan.fired == [step]
    assert world.uow.jobs.get(job_id).status is JobStatus.COMPLETED
    return job_id


@RUNTIMES
def test_a_worker_that_dies_before_queueing_the_event_has_it_sent_by_the_sweep(runtime):
    plan = StepPlan()
    with faulty_world(runtime, plan) as world:
        job_id = completed_while_dying(world, plan, "webhooks.send", Mode.CRASH)
        assert queued_events(world) == []  # the worker died: nothing reached the queue

        world.reconciler.sweep()  # within the grace a live worker would still queue it
        assert queued_events(world) == []

        world.clock.advance(UNSENT_GRACE + timedelta(seconds=1))
        report = world.reconciler.sweep()
        (event,) = queued_events(world)
        expected = f"msg_{job_id.removeprefix('job_')}_completed"
        assert report.resent == [expected] and report.errors == 0
        assert (event.id, event.type, event.job.job_id) == (expected, "job.completed", job_id)
        assert deliver(world, [event]) == [expected]

        world.clock.advance(UNSENT_GRACE * 5)
        assert world.reconciler.sweep().resent == []  # sent once: forgotten
        assert queued_events(world) == []


@RUNTIMES
def test_a_worker_that_dies_after_queueing_the_event_gets_it_delivered_again_by_the_same_id(
    runtime,
):
    plan = StepPlan()
    with faulty_world(runtime, plan) as world:
        completed_while_dying(world, plan, "uow.unsent_webhooks.remove", Mode.CRASH)
        first = queued_events(world)
        world.clock.advance(UNSENT_GRACE + timedelta(seconds=1))
        world.reconciler.sweep()
        second = queued_events(world)
        ids = deliver(world, first + second)
        # At least once: the receiver drops the repeat by its webhook-id.
        assert len(ids) == 2 and ids[0] == ids[1] == first[0].id == second[0].id


@RUNTIMES
def test_a_webhook_queue_that_was_down_at_the_end_gets_the_event_from_the_sweep(runtime):
    plan = StepPlan()
    with faulty_world(runtime, plan) as world:
        completed_while_dying(world, plan, "webhooks.send", Mode.TRANSIENT)
        assert queued_events(world) == []
        world.clock.advance(UNSENT_GRACE + timedelta(seconds=1))
        plan.add("webhooks.send", Mode.TRANSIENT)  # still down at the first sweep
        assert world.reconciler.sweep().resent == []
        world.clock.advance(timedelta(minutes=5))
        world.reconciler.sweep()
        assert [e.type for e in queued_events(world)] == ["job.completed"]


def test_a_job_without_a_webhook_leaves_the_sweep_nothing_to_send():
    plan = StepPlan()
    with faulty_world("memory", plan) as world:
        world.generate()
        world.process_all()
        world.clock.advance(UNSENT_GRACE * 10)
        assert world.reconciler.sweep().resent == []
        assert queued_events(world) == []
