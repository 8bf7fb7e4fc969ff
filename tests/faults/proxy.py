"""Any port (memory, SQLite, DynamoDB) wrapped so that one named call fails in a chosen way."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from profilephoto.domain.job_lifecycle import JobChange


class Mode(StrEnum):
    TRANSIENT = "transient"  # the service said "try again": nothing happened
    PERMANENT = "permanent"  # the service refused for good: nothing happened
    UNEXPECTED = "unexpected"  # a bug or an error nobody classified: nothing happened
    LOST = "lost"  # it took effect, then the answer was lost (a timeout after the write)
    CRASH = "crash"  # the process dies here (a Lambda timeout): no handler, no cleanup runs


class WorkerCrash(BaseException):
    """Not an Exception, so no `except Exception` in the code under test sees it."""


@dataclass
class Fault:
    step: str  # "port.method", or "uow.apply:<change name>"
    mode: Mode
    times: int = 1


class FaultPlan:
    """Which call fails and how; shared by every proxy of one run, thread-safe."""

    def __init__(self, transient: type[Exception], permanent: type[Exception]) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._transient, self._permanent = transient, permanent
        self.fired: list[str] = []

    def add(self, step: str, mode: Mode, times: int = 1) -> None:
        with self._lock:
            self._faults.append(Fault(step, mode, times))

    def take(self, step: str) -> Mode | None:
        with self._lock:
            for fault in self._faults:
                if fault.step == step and fault.times > 0:
                    fault.times -= 1
                    self.fired.append(step)
                    return fault.mode
        return None

    def errors(self, step: str) -> tuple[type[Exception], type[Exception]]:
        """(transient, permanent): how the port at `step` says so."""
        return self._transient, self._permanent

    def error(self, mode: Mode, step: str) -> BaseException:
        if mode is Mode.CRASH:
            return WorkerCrash(f"injected crash at {step}")
        transient, permanent = self.errors(step)
        if mode is Mode.PERMANENT:
            return permanent(f"injected permanent failure of {step}")
        if mode is Mode.UNEXPECTED:
            return RuntimeError(f"injected bug in {step}")
        return transient(f"injected transient failure of {step}")


class Faulty:
    """Forwards every attribute to `target`; calls named in the plan fail as planned.

    Attributes that are themselves repositories (`uow.jobs`) are wrapped too, so
    `uow.jobs.get` is the step "uow.jobs.get".
    """

    def __init__(self, target: Any, name: str, plan: FaultPlan) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_plan", plan)

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        step = f"{self._name}.{attr}"
        if attr in {"jobs", "users", "usage", "connections", "idempotency", "unsent_webhooks"}:
            return Faulty(value, step, self._plan)
        if not callable(value) or attr.startswith("_"):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            named = step
            if args and isinstance(args[0], JobChange):
                named = f"{step}:{args[0].name}"
            mode = self._plan.take(named)
            if mode is None or mode is Mode.LOST:
                result = value(*args, **kwargs)
                if mode is Mode.LOST:
                    raise self._plan.error(Mode.TRANSIENT, named)
                return result
            raise self._plan.error(mode, named)

        return call

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._target, attr, value)
