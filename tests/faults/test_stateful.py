"""Users, a lossy queue, crashing workers, a jumping clock and the sweep, in any order.

A hypothesis state machine drives the real services over the memory runtime and checks the
invariants of tests/faults/production.py after every step; at the end it runs the system
to quiescence and every job must be terminal. Seeded and bounded in `make test`; `make fuzz`
runs FUZZ_SCALE times as many sequences with a new seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from profilephoto.domain.errors import (
    JobFinished,
    JobInProgress,
    JobNotFound,
    ProfilePhotoError,
    QuotaExceeded,
    ServiceUnavailable,
)
from profilephoto.domain.models import Identity
from profilephoto.domain.webhooks import WebhookEvent, event_for
from tests.conftest import JPEG
from tests.faults.production import (
    CLIENT_TRIES,
    VISIBILITY_TIMEOUT,
    Carried,
    ask,
    faulty_world,
    invariant_violations,
    jobs_of,
    leaves_strays,
    push_fails,
    receive,
)
from tests.faults.proxy import Mode, WorkerCrash
from tests.faults.stateful_parts import (
    ACCOUNT_STEPS,
    API_STEPS,
    CANCEL_STEPS,
    DAILY_LIMIT,
    JUMPS,
    MODEL_ANSWERS,
    PICK,
    SLOW_STEPS,
    SWEEP_STEPS,
    USERS,
    WORKER_STEPS,
    InFlight,
    RulePlan,
    troubled,
)
from tests.fuzz.profile import SCALE

HOOK = "https://hooks.example.com/profilephoto"


class Production(RuleBasedStateMachine):
    """Rules that find nothing to do return: preconditions would skew which rules
    hypothesis draws (they made deliveries five times rarer than requests)."""

    runtime = "memory"  # the store; the other ports are the memory fakes

    def __init__(self) -> None:
        super().__init__()
        self.plan = RulePlan()
        self.exits = ExitStack()
        self.world = self.exits.enter_context(
            faulty_world(self.runtime, self.plan, daily_limit=DAILY_LIMIT)
        )
        self.carried = Carried()
        self.pushes_lost: set[str] = set()  # jobs whose final push failed or its sender died
        self.strays_left: set[str] = set()  # jobs whose sender died right after their end
        self.sqs: list[InFlight] = []  # every message sent and not yet done with
        self.photos: dict[str, list[str]] = {who.user_id: [] for who in USERS}
        # who, photo, key, and the request's options (count, and a webhook or not)
        self.asked: list[tuple[Identity, str, str, dict[str, object]]] = []
        self.events: list[WebhookEvent] = []  # every webhook event queued so far

    # --- the users ------------------------------------------------------------------------

    @initialize()
    def each_user_uploads_a_photo(self) -> None:
        for who in USERS:
            self.photos[who.user_id].append(self.world.upload(who, JPEG))

    @rule(
        who=st.sampled_from(USERS),
        new_photo=st.booleans(),
        pick=PICK,
        count=st.sampled_from([1, 1, 2, 3]),
        hooked=st.booleans(),
        trouble=troubled(API_STEPS),
    )
    def generate(
        self,
        who: Identity,
        new_photo: bool,
        pick: int,
        count: int,
        hooked: bool,
        trouble: tuple[str, Mode] | None,
    ) -> None:
        """POST /generate (of a new upload or an earlier one) with a new Idempotency-Key,
        with a webhook or without; a 5xx is retried with the same key."""
        photos = self.photos[who.user_id]
        if new_photo or not photos:
            try:
                photos.append(self.world.upload(who, JPEG))
            except QuotaExceeded:  # no upload URL once the day's quota is spent
                return
        photo = photos[-1] if new_photo else photos[pick % len(photos)]
        key = f"key-{len(self.asked)}"
        options: dict[str, object] = {"count": count, **({"webhook": HOOK} if hooked else {})}
        with self._troubled(trouble):
            ask(self.world, who, photo, key, **options)
        self.asked.append((who, photo, key, options))
        self._take_from_queue()

    @rule(pick=PICK)
    def generate_again(self, pick: int) -> None:
        """The same request with the same key, much later: answered once, charged once."""
        if not self.asked:
            return
        who, photo, key, options = self.asked[pick % len(self.asked)]
        ask(self.world, who, photo, key, **options)
        self._take_from_queue()

    @rule(who=st.sampled_from(USERS), pick=PICK, trouble=troubled(CANCEL_STEPS))
    def cancel(self, who: Identity, pick: int, trouble: tuple[str, Mode] | None) -> None:
        """POST /jobs/{id}/cancel of any of the user's jobs; a 5xx is tried again."""
        jobs = jobs_of(self.world, who.user_id)
        if not jobs:
            return
        job = jobs[pick % len(jobs)]
        with self._troubled(trouble, job.job_id):
            for _ in range(CLIENT_TRIES):
                try:
                    self.world.container.services.cancellation_service().cancel_job(who, job.job_id)
                except JobFinished:
                    assert job.status.is_terminal or self._finished(job.job_id)
                except (ServiceUnavailable, RuntimeError, WorkerCrash):
                    continue  # a 5xx: the client tries again
                except ProfilePhotoError as error:
                    assert error.code == "internal_error", error  # a fault's 500: final
                break

    @rule(who=st.sampled_from(USERS), pick=PICK)
    def delete_job(self, who: Identity, pick: int) -> None:
        jobs = jobs_of(self.world, who.user_id)
        if not jobs:
            return
        job = jobs[pick % len(jobs)]
        try:
            self.world.deletion.delete_job(who, job.job_id)
        except JobInProgress:
            assert not job.status.is_terminal
            return
        self.carried.job_deleted(job)

    @rule(
        who=st.sampled_from(USERS),
        rarely=st.integers(min_value=0, max_value=7),
        trouble=troubled(ACCOUNT_STEPS),
    )
    def delete_account(self, who: Identity, rarely: int, trouble: tuple[str, Mode] | None) -> None:
        """DELETE /me (one time in eight: it wipes the user's whole history). A failure
        half-way is retried until it succeeds: every step is safe to repeat."""
        if rarely:
            return
        unfinished = [
            j.job_id for j in jobs_of(self.world, who.user_id) if not j.status.is_terminal
        ]
        with self._troubled(trouble, *unfinished):
            self._delete_account(who)

    # --- the queue, the workers and the model ---------------------------------------------

    @rule(picks=st.lists(PICK, min_size=1, max_size=5))
    def deliver(self, picks: list[int]) -> None:
        """Workers receive a few messages, in any order (SQS keeps none)."""
        for pick in picks:
            if visible := self._visible():
                self._deliver(visible[pick % len(visible)])

    @rule(pick=PICK, step=st.sampled_from(WORKER_STEPS), mode=st.sampled_from(list(Mode)))
    def deliver_in_trouble(self, pick: int, step: str, mode: Mode) -> None:
        """A worker receives a message and dies at `step` (a Lambda timeout: no `except`
        or `finally` of ours runs), or the port there fails as `mode` says."""
        if not (visible := self._visible()):
            return
        entry = visible[pick % len(visible)]
        with self._troubled((step, mode), entry.message.job_id):
            self._deliver(entry)

    @rule(pick=PICK, how=st.sampled_from(["duplicate", "delay", "lose"]))
    def queue_misbehaves(self, pick: int, how: str) -> None:
        """At-least-once delivery sends a message twice; one is held back behind all the
        others; one is lost for good (the sweep must recover its job)."""
        if not (visible := self._visible()):
            return
        entry = visible[pick % len(visible)]
        self.sqs.remove(entry)
        if how == "duplicate":
            self.sqs += [entry, InFlight(entry.message, entry.receives)]
        elif how == "delay":
            self.sqs.append(entry)

    @rule(answers=st.lists(st.sampled_from(sorted(MODEL_ANSWERS)), min_size=1, max_size=3))
    def script_the_model(self, answers: list[str]) -> None:
        self.world.generator.then(*(MODEL_ANSWERS[a]() for a in answers))

    @rule(
        pick=PICK,
        step=st.sampled_from(SLOW_STEPS),
        meanwhile=st.sampled_from(["twin", "sweep", "cancel", "delete account"]),
    )
    def deliver_slowly(self, pick: int, step: str, meanwhile: str) -> None:
        """A worker is slow at `step`. Meanwhile its lease runs out and a twin of its message
        is delivered, or the give-up deadline passes and the sweep runs, or the owner
        cancels the job, or deletes their account."""
        if not (visible := self._visible()):
            return
        entry = visible[pick % len(visible)]
        owner = next(who for who in USERS if who.user_id == entry.message.user_id)

        def act() -> None:
            if meanwhile == "twin":
                self.world.clock.advance(JUMPS["lease"])
                self._deliver(InFlight(entry.message, entry.receives))
            elif meanwhile == "sweep":
                self.world.clock.advance(JUMPS["give up"])
                self.world.reconciler.sweep()
            elif meanwhile == "cancel":
                with suppress(JobFinished, JobNotFound):
                    cancellation = self.world.container.services.cancellation_service()
                    cancellation.cancel_job(owner, entry.message.job_id)
            else:
                self._delete_account(owner)

        self.plan.meanwhile(step, act)
        self._deliver(entry)
        self.plan.drop_unfired()
        self._take_from_queue()

    # --- time and the sweep ---------------------------------------------------------------

    @rule(by=st.sampled_from(sorted(JUMPS)), sweep=st.booleans(), trouble=troubled(SWEEP_STEPS))
    def time_passes(self, by: str, sweep: bool, trouble: tuple[str, Mode] | None) -> None:
        """The clock jumps (past a lease, the sweep's deadline, a crashed worker's message's
        visibility timeout, the give-up deadline); the sweep may run then, as scheduled,
        and fail or die on the way (the next one follows)."""
        self.world.clock.advance(JUMPS[by])
        if sweep:
            unfinished = [
                j.job_id
                for who in USERS
                for j in jobs_of(self.world, who.user_id)
                if not j.status.is_terminal
            ]
            with self._troubled(trouble, *unfinished), suppress(WorkerCrash):
                self.world.reconciler.sweep()
            self._take_from_queue()

    def run_to_quiescence(self) -> None:
        """Deliver everything, let every deadline pass and sweep, until nothing moves: then
        every job is terminal and the books balance."""
        for _ in range(4):
            self.world.clock.advance(JUMPS["give up"])
            while visible := self._visible():
                self._deliver(visible[0])
            self.world.reconciler.sweep()
            self._take_from_queue()
        self.world.clock.advance(JUMPS["give up"])
        while visible := self._visible():
            self._deliver(visible[0])
        assert self._violations(settled=True) == []
        assert self._webhook_violations(settled=True) == []

    # --- after every step, and at the end -------------------------------------------------

    @invariant()
    def the_books_balance(self) -> None:
        assert self._violations(settled=False) == []

    @invariant()
    def every_webhook_event_announces_an_end_that_happened(self) -> None:
        assert self._webhook_violations(settled=False) == []

    def teardown(self) -> None:
        try:
            self.run_to_quiescence()
        finally:
            self.exits.close()

    # --- helpers --------------------------------------------------------------------------

    @contextmanager
    def _troubled(self, trouble: tuple[str, Mode] | None, *job_ids: str) -> Iterator[None]:
        """The fault (if any) during one rule; a fault that did not fire is dropped after.
        A final push that failed may be lost for `job_ids` (docs/api.md §4.3: clients poll)."""
        if trouble is not None:
            step, mode = trouble
            # A dying worker dies in every variant it runs at once: the whole Lambda stops.
            self.plan.add(step, mode, times=4 if step.startswith("generator.") else 1)
        fired = len(self.plan.fired)
        try:
            yield
        finally:
            self.plan.drop_unfired()
            if trouble is not None and len(self.plan.fired) > fired:
                if push_fails(*trouble):
                    self.pushes_lost.update(job_ids)
                if leaves_strays(*trouble):
                    self.strays_left.update(job_ids)

    def _violations(self, settled: bool) -> list[str]:
        return invariant_violations(
            self.world,
            self.pushes_lost,
            users=USERS,
            carried=self.carried,
            settled=settled,
            strays_left=self.strays_left,
        )

    def _webhook_violations(self, settled: bool) -> list[str]:
        """Every queued event is of its job's end as stored (while the job is there), under
        the one id of that end; `settled`: every ended job whose webhook wants its end was
        announced (but one that never reached the queue: its caller got the 503), and the
        outbox is empty (docs/api.md §4.9: at least once)."""
        self.events += self.world.container.webhooks().drain()
        jobs = {j.job_id: j for who in USERS for j in jobs_of(self.world, who.user_id)}
        problems = []
        for event in self.events:
            job = jobs.get(event.job.job_id)
            wanted = event_for(job) if job is not None else None
            if job is not None and (wanted is None or wanted.id != event.id):
                problems.append(f"{event.id} queued for {job.job_id} ({job.status})")
        if not settled:
            return problems
        announced = {e.id for e in self.events}
        for job in jobs.values():
            wanted = event_for(job)
            unqueued = job.error is not None and job.error.code == "queue_unavailable"
            if wanted is not None and not unqueued and wanted.id not in announced:
                problems.append(f"{job.job_id} ({job.status}) never announced")
        far = self.world.clock.now() + JUMPS["give up"] * 100
        left = self.world.uow.unsent_webhooks.older_than(far, 100)
        problems += [f"{e.id} left unsent" for e in left]
        return problems

    def _visible(self) -> list[InFlight]:
        now = self.world.clock.now()
        return [e for e in self.sqs if e.visible_at is None or e.visible_at <= now]

    def _delete_account(self, who: Identity) -> None:
        self.carried.account_deleted(who.user_id, jobs_of(self.world, who.user_id))
        for _ in range(CLIENT_TRIES):
            try:
                self.world.container.services.account_service().delete_account(who)
                break
            except (Exception, WorkerCrash):
                continue  # the client asks again
        else:
            raise AssertionError("DELETE /me never succeeded")
        self.photos[who.user_id] = []

    def _deliver(self, entry: InFlight) -> None:
        if entry in self.sqs:  # a twin made up meanwhile was never in the list
            self.sqs.remove(entry)
        entry.receives += 1
        if error := receive(self.world, entry.message, entry.receives):
            # The batch handler reports a failure and SQS delivers the message again; a
            # worker that died reported nothing: it comes back after its visibility timeout.
            if isinstance(error, WorkerCrash):
                entry.visible_at = self.world.clock.now() + VISIBILITY_TIMEOUT
            self.sqs.append(entry)
        self._take_from_queue()

    def _take_from_queue(self) -> None:
        self.sqs += [InFlight(m) for m in self.world.queue.drain()]

    def _finished(self, job_id: str) -> bool:
        job = self.world.uow.jobs.get(job_id)
        return job is not None and job.status.is_terminal


class SqliteProduction(Production):
    runtime = "sqlite"


for machine, examples in ((Production, 200), (SqliteProduction, 50)):
    machine.TestCase.settings = settings(
        settings.get_profile("profilephoto-fuzz"),
        max_examples=examples * SCALE,
        stateful_step_count=40,
    )
test_production_keeps_every_invariant_whatever_happens_in_any_order = Production.TestCase
test_the_same_holds_with_the_sqlite_store = SqliteProduction.TestCase
