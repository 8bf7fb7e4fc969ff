"""Several steps failing in one run, in any mix of ways, some several times in a row: the
fault matrix's invariants still hold. `make fuzz` runs it FUZZ_SCALE times longer, with
new seeds and on DynamoDB (moto) too (tests/fuzz/profile.py).

Shown to catch a planted bug the one-fault matrix cannot: with `discard_strays` made a
no-op, an unexpected error in `results.write` after an earlier variant was stored leaves
"1 result objects for 0 images". Under `make fuzz` it found a job given up after three
failed completions whose worker then died in the final push: its stray image stays until
the job is deleted or expires (docs/api.md §4.1), which the invariants allow for."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.faults.production import (
    StepPlan,
    faulty_world,
    invariant_violations,
    jobs_of,
    leaves_strays,
    push_fails,
    run_as_production,
)
from tests.faults.proxy import Mode
from tests.faults.test_fault_matrix import GENERATE_STEPS, PROCESS_STEPS
from tests.fuzz.profile import LONG, examples

FAULTS = st.lists(
    st.tuples(
        st.sampled_from(GENERATE_STEPS + PROCESS_STEPS),
        st.sampled_from(list(Mode)),
        st.integers(min_value=1, max_value=3),  # how many calls in a row fail
    ),
    min_size=2,
    max_size=5,
)


@settings(max_examples=examples(200, 1), parent=settings.get_profile("profilephoto-fuzz"))
@given(
    runtime=st.sampled_from(["memory", "sqlite", *(["dynamodb"] if LONG else [])]),
    faults=FAULTS,
    count=st.integers(min_value=1, max_value=3),
)
def test_several_failed_steps_leave_every_invariant_intact(runtime, faults, count):
    plan = StepPlan()
    with faulty_world(runtime, plan) as world:
        key = world.upload()
        for step, mode, times in faults:
            plan.add(step, mode, times)
        run_as_production(world, key, count=count)
        push_failed = any(push_fails(step, mode) for step, mode, _ in faults)
        died_in_push = any(leaves_strays(step, mode) for step, mode, _ in faults)
        strays = [job.job_id for job in jobs_of(world, "alice")] if died_in_push else []
        assert invariant_violations(world, push_failed, strays_left=strays) == []
