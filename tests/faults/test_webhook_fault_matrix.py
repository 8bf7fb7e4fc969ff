"""Every step between a job's end and its webhook event reaching the queue failed in turn,
five ways, then production runs: each ended job's event is queued at least once, always
under its one webhook-id, and no outbox record is left (docs/api.md §4.9).

Shown to catch a planted bug: with the sweep's relay (`Reconciler._send_unsent`) made a
no-op, every `webhooks.send` case on memory and SQLite fails (the worker died, or the queue
refused: the event is never queued, or, when the answer was lost, its record is left), as
does every `uow.unsent_webhooks.remove` case (the record is left). (`notifier.notify` and
`uow.apply:complete` fail before the end's commit, at the first push or the commit itself:
they check that the event is still queued exactly as the job finally ends.)
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from profilephoto.domain.errors import QueueUnavailable
from profilephoto.domain.webhooks import event_for
from tests.conftest import World
from tests.faults.production import (
    StepPlan,
    faulty_world,
    invariant_violations,
    jobs_of,
    push_fails,
    run_as_production,
)
from tests.faults.proxy import Mode
from tests.fuzz.profile import LONG

HOOK = "https://hooks.example.com/profilephoto"
STEPS = [
    "uow.apply:complete",
    "notifier.notify",
    "webhooks.send",
    "uow.unsent_webhooks.remove",
    "uow.unsent_webhooks.older_than",
]
CASES = [
    (runtime, step)
    for runtime in ("memory", "sqlite", *(["dynamodb"] if LONG else []))
    for step in STEPS
]


def webhook_violations(world: World) -> list[str]:
    """Each ended job whose webhook wants its end (and that reached the queue: a 503'd job
    is not announced) has its event queued at least once, every copy under the same id;
    no other event was queued; no record is left unsent."""
    queued: dict[str, list[str]] = defaultdict(list)
    for event in world.container.webhooks().drain():
        queued[event.job.job_id].append(event.id)
    problems = []
    for job in jobs_of(world, "alice"):
        event = event_for(job)
        unqueued = job.error is not None and job.error.code == QueueUnavailable.code
        ids = queued.pop(job.job_id, [])
        if event is None or unqueued:
            problems += [f"{job.job_id} ({job.status}) announced {ids}"] if ids else []
        elif not ids or set(ids) != {event.id}:
            problems.append(f"{job.job_id} ({job.status}) queued {ids}, not {event.id}")
    problems += [f"events of unknown jobs {ids}" for ids in queued.values()]
    left = world.uow.unsent_webhooks.older_than(world.clock.now().replace(year=2100), 100)
    problems += [f"outbox record {e.id} left" for e in left]
    return problems


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("runtime, step", CASES)
def test_one_failed_step_still_queues_the_event_once_or_more_under_its_id(runtime, step, mode):
    plan = StepPlan()
    with faulty_world(runtime, plan) as world:
        key = world.upload()
        plan.add(step, mode)
        run_as_production(world, key, webhook=HOOK)
        assert plan.fired == [step]
        assert invariant_violations(world, push_failed=push_fails(step, mode)) == []
        assert webhook_violations(world) == []
