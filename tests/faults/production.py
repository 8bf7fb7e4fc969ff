"""The system run as production runs it, with the invariants every run must keep."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from dependency_injector import providers

from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import (
    GenerationFailed,
    InvalidImage,
    ProfilePhotoError,
    QueueUnavailable,
    ServiceUnavailable,
    TransientGenerationError,
)
from profilephoto.domain.job_lifecycle import USER_CAUSED_CODES
from profilephoto.domain.models import (
    GenerationAccepted,
    Identity,
    Job,
    JobMessage,
    JobStatus,
    usage_key,
)
from profilephoto.domain.object_keys import object_key
from profilephoto.domain.upload_policy import result_prefix
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


# What follows a job's end before its folder is tidied (services/job_endings.close_out).
CLOSING_STEPS = ("notifier.notify", "webhooks.send", "uow.unsent_webhooks.remove")


def leaves_strays(step: str, mode: Mode) -> bool:
    """Whether this fault may leave a job's stray results in its folder: the process died
    in the final push or queueing the webhook event, after the end was written and before
    the folder was tidied (docs/api.md §4.1: deleting the job or the retention rule removes
    them)."""
    return step in CLOSING_STEPS and mode is Mode.CRASH


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
def faulty_world(runtime: str, plan: FaultPlan, **config: object) -> Iterator[World]:
    """Services whose every port goes through the fault proxy; `runtime` picks the store."""
    world = make_world(**config)
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
            "webhooks": c.webhooks(),
        }.items():
            getattr(c, name).override(providers.Object(Faulty(target, name, plan)))
        yield world


def run_as_production(
    world: World, key: str, idempotency_key: str = "attempt", count: int = 1, **options: object
) -> None:
    """The client asks (retrying 5xx), the queue redelivers, the sweep runs on schedule."""
    ask(world, ALICE, key, idempotency_key, count=count, **options)
    receives: dict[str, int] = {}
    for _ in range(SWEEPS):
        deliver_everything(world, receives)
        world.clock.advance(world.config.stuck_after * (world.config.max_attempts + 2))
        with suppress(WorkerCrash):  # a sweep that dies is followed by the next one
            world.reconciler.sweep()
    deliver_everything(world, receives)


def ask(
    world: World, who: Identity, key: str, idempotency_key: str, **options: object
) -> GenerationAccepted | None:
    """POST /generate as a client sends it: a 5xx is tried again with the same
    Idempotency-Key; a 4xx is final (None)."""
    for _ in range(CLIENT_TRIES):
        try:
            return world.generation.request_generation(
                who,
                GenerationRequest(key, "professional", idempotency_key=idempotency_key, **options),
            )
        except (ServiceUnavailable, RuntimeError, WorkerCrash):
            continue  # a 5xx (503, 500, 502 from a dead Lambda): the client tries again
        except ProfilePhotoError:
            return None  # a 4xx is final
    return None


def receive(world: World, message: JobMessage, receives: int) -> BaseException | None:
    """One delivery of `message` (its `receives`-th) to the worker. The handler's failure
    or the worker's death (a Lambda timeout) when SQS will deliver it again; None when it
    is done with (acknowledged, or out of receives: the dead-letter queue has it)."""
    try:
        world.processing.process(message)
    except (Exception, WorkerCrash) as error:
        return error if receives < world.config.max_attempts else None
    return None


def deliver_everything(world: World, receives: dict[str, int]) -> None:
    """SQS: each message until acknowledged or its receive count reaches the maximum."""
    pending = world.queue.drain()
    while pending:
        message = pending.pop(0)
        count = receives[message.job_id] = receives.get(message.job_id, 0) + 1
        if error := receive(world, message, count):
            # The batch handler reports a failure at once; a dead worker reports nothing.
            crashed = isinstance(error, WorkerCrash)
            world.clock.advance(VISIBILITY_TIMEOUT if crashed else timedelta(seconds=30))
            pending.append(message)
        pending.extend(world.queue.drain())


@dataclass
class Carried:
    """What the records no longer show: a deleted job's units stay charged (deleting is
    not a refund), and its images stay in totalImagesGenerated until DELETE /me."""

    units: Counter[str] = field(default_factory=Counter)  # usage key -> units
    images: Counter[str] = field(default_factory=Counter)  # user id -> images

    def job_deleted(self, job: Job) -> None:
        self.units[usage_key(job.user_id, job.quota_date)] += units_owed(job)
        self.images[job.user_id] += images_made(job)

    def account_deleted(self, user_id: str, jobs: list[Job]) -> None:
        """DELETE /me cancels the unfinished jobs (refunded), keeps the usage counts and
        removes the user record with its image count."""
        for job in jobs:
            if job.status.is_terminal:
                self.units[usage_key(job.user_id, job.quota_date)] += units_owed(job)
        self.images[user_id] = 0


def images_made(job: Job) -> int:
    return len(job.result_urls) if job.status is JobStatus.COMPLETED else 0


def units_owed(job: Job) -> int:
    """What the job keeps charged: its images but those delivered below the likeness bar,
    a user-caused failure's units, or (while it is unfinished) every unit it reserved."""
    if not job.status.is_terminal:
        return job.count
    if job.status is JobStatus.FAILED and job.error and job.error.code in USER_CAUSED_CODES:
        return job.count
    unmatched = job.metadata.get("lowLikenessImages", 0) if job.status is JobStatus.COMPLETED else 0
    return images_made(job) - (unmatched if isinstance(unmatched, int) else 0)


def jobs_of(world: World, user_id: str) -> list[Job]:
    jobs: list[Job] = []
    cursor = None
    while True:
        page = world.uow.jobs.list_for_user(user_id, 100, cursor)
        jobs += page.items
        if page.next_token is None:
            return jobs
        cursor = page.next_token


def invariant_violations(
    world: World,
    push_failed: bool | Collection[str] = False,
    *,
    users: Sequence[Identity] = (ALICE,),
    carried: Carried | None = None,
    settled: bool = True,
    strays_left: Collection[str] = (),
) -> list[str]:
    """For every user: units charged = images made + user-caused failures + units reserved
    by unfinished jobs (and what deleted jobs carried); each image counted once and stored
    once, with no stored result that no job accounts for; a photo for every unfinished job;
    at most one final push per job, exactly one once it is terminal (unless it never reached
    the queue, or `push_failed` says the push itself failed, for any job or for these ids:
    the client's poll shows the status instead). `settled`: every job is terminal too.
    `strays_left`: jobs whose end's cleanup died after the end was written; their folders
    are left to the bucket's retention rule."""
    carried = carried or Carried()
    problems: list[str] = []
    accounted: set[str] = set()  # result keys a completed job points at
    in_flight: list[str] = []  # result folders of unfinished jobs: a worker may be writing
    final_pushes = Counter(
        m.job_id for _, m in world.notifier.notifications if m.status.is_terminal
    )
    for who in users:
        jobs = jobs_of(world, who.user_id)
        if settled:
            problems += [f"{j.job_id} is {j.status}" for j in jobs if not j.status.is_terminal]
        owed = Counter({k: n for k, n in carried.units.items() if k.startswith(f"{who.user_id}#")})
        for job in jobs:
            owed[usage_key(job.user_id, job.quota_date)] += units_owed(job)
        owed.setdefault(usage_key(who.user_id, world.queries.get_usage(who).date), 0)
        for key, units in sorted(owed.items()):
            record = world.uow.usage.get(key)
            charged = record.count if record else 0
            if charged != units:
                problems.append(f"{key}: charged {charged}, owed {units}")
            if charged > world.config.daily_limit:
                problems.append(f"{key}: charged {charged}, over the daily limit")
        made = sum(images_made(j) for j in jobs) + carried.images[who.user_id]
        user = world.uow.users.get(who.user_id)
        counted = user.total_images_generated if user else 0
        if counted != made:
            problems.append(f"{who.user_id}: totalImagesGenerated {counted}, images made {made}")
        for job in jobs:
            keys = [object_key(url) for url in job.result_urls]
            accounted.update(keys if job.status is JobStatus.COMPLETED else [])
            if not job.status.is_terminal:
                in_flight.append(result_prefix(job.user_id, job.job_id))
                problems += [
                    f"{job.job_id} ({job.status}) lost its photo {object_key(url)}"
                    for url in job.photo_urls
                    if object_key(url) not in world.uploads.objects
                ]
            problems += [
                f"{job.job_id} ({job.status}) has no object behind {key}"
                for key in keys
                if key not in world.results.objects
            ]
            reached_queue = not (job.error and job.error.code == QueueUnavailable.code)
            wanted = {1 if job.status.is_terminal and reached_queue else 0}
            if push_failed is True or (push_failed and job.job_id in push_failed):
                wanted.add(0)
            if final_pushes[job.job_id] not in wanted:
                problems.append(
                    f"{job.job_id} ({job.status}) got {final_pushes[job.job_id]} final pushes"
                )
    problems += [
        f"orphan result object {key}"
        for key in sorted(world.results.objects)
        if key not in accounted
        and not key.startswith(tuple(in_flight))
        and not any(f"/{job_id}/" in key for job_id in strays_left)
    ]
    problems += [f"{job_id} got {n} final pushes" for job_id, n in final_pushes.items() if n > 1]
    return problems
