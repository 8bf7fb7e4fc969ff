"""Every I/O step of generate and process failed in turn, five ways; then production runs.

On memory and SQLite both halves; on DynamoDB (moto) the generate half, and under
`make fuzz` the process half too. Shown to catch a planted bug: with the worker's handling
of an ambiguous completing write removed, the `uow.apply:complete` cases fail (no final
push; an orphan result object).
"""

from __future__ import annotations

import pytest

from tests.faults.production import (
    errors_for,
    faulty_world,
    invariant_violations,
    push_fails,
    run_as_production,
)
from tests.faults.proxy import FaultPlan, Mode
from tests.fuzz.profile import LONG

GENERATE_STEPS = [
    "uploads.peek",
    "uow.users.record_login",
    "uow.reserve_and_create_job",
    "queue.send",
    "uow.apply:mark_queued",
]
PROCESS_STEPS = [
    "uow.apply:claim",
    "uploads.read",
    "images.normalize_upload",
    "generator.generate",
    "images.encode_result",
    "results.write",
    "uow.apply:complete",
    "notifier.notify",
]


CASES = [
    (runtime, step)
    for runtime in ("memory", "sqlite", "dynamodb")
    for step in GENERATE_STEPS + (PROCESS_STEPS if runtime != "dynamodb" or LONG else [])
]


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("runtime, step", CASES)
def test_one_failed_step_leaves_every_invariant_intact(runtime, step, mode):
    plan = FaultPlan(*errors_for(step))
    with faulty_world(runtime, plan) as world:
        key = world.upload()
        plan.add(step, mode)
        run_as_production(world, key)
        assert plan.fired == [step]
        assert invariant_violations(world, push_failed=push_fails(step, mode)) == []
