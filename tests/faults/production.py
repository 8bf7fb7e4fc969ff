"""The system run as production runs it, with the invariants every run must keep."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import timedelta
from pathlib import Path

from dependency_injector import providers

from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
from profilephoto.domain.errors import (
    GenerationFailed,
    InvalidImage,
    ProfilePhotoError,
    QueueUnavailable,
    ServiceUnavailable,
    TransientGenerationError,
)
from profilephoto.domain.job_lifecycle import USER_CAUSED_CODES
from profilephoto.domain.models import JobStatus
from tests.conftest import ALICE, World, make_world
from tests.faults.proxy import FaultPlan, Faulty, Mode, WorkerCrash
from tests.integration.aws_fixtures import dynamodb_unit_of_work

CLIENT_TRIES = 4  # the client retries a 5xx with the same Idempotency-Key
SWEEPS = 6  # each after the stuck deadline has passed
# A message whose worker died comes back when its visibility timeout ends (template.yaml).
VISIBILITY_TIMEOUT = timedelta(seconds=1080)


def push_fails(step: str, mode: Mode) -> bool:
    """Whether this fault keeps the final push from reaching the client."""
    return step == "notifier.notify" and mode is not Mode.LOST


def errors_for(step: str) -> tuple[type[Exception], type[Exception]]:
    """(transient, permanent) as the port at `step` raises them."""
    if step.startswith("generator."):
        return TransientGenerationError, GenerationFailed
    if step.startswith("images."):
        return ServiceUnavailable, InvalidImage
    if step.startswith("queue."):
        return QueueUnavailable, QueueUnavailable
    return ServiceUnavailable, ProfilePhotoError


class StepPlan(FaultPlan):
    """A plan whose faults, at any mix of steps, each fail as their own port would."""

    def __init__(self) -> None:
        super().__init__(ServiceUnavailable, ProfilePhotoError)

    def errors(self, step: str) -> tuple[type[Exception], type[Exception]]:
        return errors_for(step)


@contextmanager
def faulty_world(runtime: str, plan: FaultPlan) -> Iterator[World]:
    """Services whose every port goes through the fault proxy; `runtime` picks the store."""
    world = make_world()
    c = world.container
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if runtime == "sqlite":
            real_uow = SqliteUnitOfWork(Path(tmp) / "db.sqlite3")
            stack.callback(real_uow.close)
        elif runtime == "dynamodb":
            real_uow, _ = stack.enter_context(dynamodb_unit_of_work())
        else:
            real_uow = c.uow()
        for name, target in {
            "uow": real_uow,
            "uploads": c.uploads(),
            "results": c.results(),
            "queue": c.queue(),
            "generator": c.generator(),
            "images": c.images(),
            "notifier": c.notifier(),
        }.items():
            getattr(c, name).override(providers.Object(Faulty(target, name, plan)))
        yield world


def run_as_production(
    world: World, key: str, idempotency_key: str = "attempt", count: int = 1
) -> None:
    """The client asks (retrying 5xx), the queue redelivers, the sweep runs on schedule."""
    for _ in range(CLIENT_TRIES):
        try:
            world.generation.request_generation(
                ALICE, key, "professional", idempotency_key=idempotency_key, count=count
            )
            break
        except (ServiceUnavailable, RuntimeError, WorkerCrash):
            continue  # a 5xx (503, 500, 502 from a dead Lambda): the client tries again
        except ProfilePhotoError:
            break  # a 4xx is final
    receives: dict[str, int] = {}
    for _ in range(SWEEPS):
        deliver_everything(world, receives)
        world.clock.advance(world.config.stuck_after * (world.config.max_attempts + 2))
        with suppress(WorkerCrash):  # a sweep that dies is followed by the next one
            world.reconciler.sweep()
    deliver_everything(world, receives)


def deliver_everything(world: World, receives: dict[str, int]) -> None:
    """SQS: each message until acknowledged or its receive count reaches the maximum."""
    pending = world.queue.drain()
    while pending:
        message = pending.pop(0)
        count = receives[message.job_id] = receives.get(message.job_id, 0) + 1
        try:
            world.processing.process(message, count)
        except (Exception, WorkerCrash) as error:  # SQS delivers the message again
            if count < world.config.max_attempts:
                # The batch handler reports a failure at once; a dead worker reports nothing.
                crashed = isinstance(error, WorkerCrash)
                world.clock.advance(VISIBILITY_TIMEOUT if crashed else timedelta(seconds=30))
                pending.append(message)
        pending.extend(world.queue.drain())


def invariant_violations(world: World, push_failed: bool = False) -> list[str]:
    """Every job terminal; charged = images made + user-caused failures; each image counted
    once and stored once; one final push per job that reached the queue (at most one when
    the push itself failed: the client's poll shows the status instead)."""
    jobs = [j for j in world.uow.jobs.list_for_user("alice", 100, None).items]
    problems = [f"{j.job_id} is {j.status}" for j in jobs if not j.status.is_terminal]
    made = sum(len(j.result_urls) for j in jobs if j.status is JobStatus.COMPLETED)
    kept = sum(
        j.count
        for j in jobs
        if j.status is JobStatus.FAILED and j.error and j.error.code in USER_CAUSED_CODES
    )
    used = world.queries.get_usage(ALICE).used
    if used != made + kept:
        problems.append(f"charged {used}, owed {made} images + {kept} user-caused")
    user = world.uow.users.get("alice")
    counted = user.total_images_generated if user else 0
    if counted != made:
        problems.append(f"totalImagesGenerated {counted}, images made {made}")
    stored = len(world.results.objects)
    if stored != made:
        problems.append(f"{stored} result objects for {made} images")
    for job in jobs:
        pushes = [
            m
            for _, m, _ in world.notifier.notifications
            if m.job_id == job.job_id and m.status.is_terminal
        ]
        reached_queue = not (job.error and job.error.code == QueueUnavailable.code)
        allowed = {0, 1} if push_failed and reached_queue else {1 if reached_queue else 0}
        if len(pushes) not in allowed:
            problems.append(f"{job.job_id} ({job.status}) got {len(pushes)} final pushes")
    return problems
