"""What the state machine's rules act with: the users, the steps that may fail or be slow,
the clock's jumps, the model's answers, a fault plan per rule and a message SQS holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import strategies as st

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import (
    ContentBlocked,
    GenerationFailed,
    TransientGenerationError,
)
from profilephoto.domain.models import Identity, JobMessage
from tests.conftest import ALICE
from tests.faults.production import VISIBILITY_TIMEOUT, StepPlan
from tests.faults.proxy import Mode

CAROL = Identity(user_id="carol", email="carol@example.com", display_name="Carol")
USERS = (ALICE, CAROL)
# Enough that most requests are accepted, few enough that some meet the limit.
DAILY_LIMIT = 24
PICK = st.integers(min_value=0, max_value=1_000)  # an index into whatever list it picks from

# Where the worker may die (a Lambda timeout: no `except`, no `finally` of ours runs) or a
# port may fail, during one delivery. "uow.apply:complete" is after the results are written.
WORKER_STEPS = [
    "uow.apply:claim",
    "uploads.read",
    "generator.generate",
    "results.write",
    "uow.apply:complete",
    "uow.apply:fail",
    "uow.apply:release_lease",
    "notifier.notify",
    "webhooks.send",
    "uow.unsent_webhooks.remove",
]
# Where a worker may be slow while the world moves on.
SLOW_STEPS = ["uploads.read", "generator.generate", "results.write", "uow.apply:complete"]
CANCEL_STEPS = ["uow.jobs.get", "uow.apply:cancel", "notifier.notify", "webhooks.send"]
SWEEP_STEPS = [
    "uow.jobs.list_created_before",
    "queue.send",
    "uow.apply:mark_queued",
    "uow.apply:give_up",
    "notifier.notify",
    "webhooks.send",
    "uow.unsent_webhooks.older_than",
]
ACCOUNT_STEPS = [
    "uow.apply:cancel",
    "notifier.notify",
    "uploads.delete_prefix",
    "results.delete_prefix",
    "uow.jobs.delete",
    "uow.users.delete",
]
API_STEPS = [
    "uploads.peek",
    "uow.users.record_login",
    "uow.reserve_and_create_job",
    "queue.send",
    "uow.apply:mark_queued",
    "uow.idempotency.get",
]
CONFIG = ServiceConfig(daily_limit=DAILY_LIMIT)
JUMPS = {
    "0 s": timedelta(0),
    "30 s": timedelta(seconds=30),
    "lease": CONFIG.processing_lease + timedelta(seconds=1),
    "stuck": CONFIG.stuck_after + timedelta(seconds=1),
    "visibility": VISIBILITY_TIMEOUT,
    "give up": CONFIG.stuck_after * (CONFIG.max_attempts + 1) + timedelta(minutes=1),
}
# What the model answers, made anew for each call: one exception raised again and again
# would keep every traceback (and the records in its frames) alive until the interpreter
# exits, where pydantic-core's TzInfo then crashed CPython's last collection (make fuzz).
MODEL_ANSWERS: dict[str, Callable[[], Exception | None]] = {
    "image": lambda: None,
    "busy": lambda: TransientGenerationError("the model is busy"),
    "failed": lambda: GenerationFailed("the model failed"),
    "blocked": lambda: ContentBlocked("the photo was blocked"),  # user-caused: stays charged
}


def troubled(steps: list[str]) -> st.SearchStrategy[tuple[str, Mode] | None]:
    """No fault two times in three; else one of `steps` failing one of the five ways."""
    return st.one_of(
        st.none(), st.none(), st.tuples(st.sampled_from(steps), st.sampled_from(list(Mode)))
    )


class RulePlan(StepPlan):
    """Faults as their own ports raise them; each belongs to the rule that planned it.
    Something may also happen `meanwhile`: just before a step, while a worker is there."""

    def __init__(self) -> None:
        super().__init__()
        self._meanwhile: dict[str, Callable[[], None]] = {}

    def meanwhile(self, step: str, action: Callable[[], None]) -> None:
        with self._lock:
            self._meanwhile[step] = action

    def take(self, step: str) -> Mode | None:
        with self._lock:
            action = self._meanwhile.pop(step, None)
        if action is not None:  # outside the lock: the action calls the ports too
            action()
        return super().take(step)

    def drop_unfired(self) -> None:
        with self._lock:
            self._faults.clear()
            self._meanwhile.clear()


@dataclass(eq=False)  # two copies of one message are two messages
class InFlight:
    """A message SQS holds: how often it was received, and when it is visible again."""

    message: JobMessage
    receives: int = 0
    visible_at: datetime | None = None
