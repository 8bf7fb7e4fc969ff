"""Every implementation the contract suites run against: name -> module with harness factories.

A runtime module provides four context managers (see `memory.py`, the reference):
`unit_of_work()` yields a UnitOfWork; `object_store()` yields a StoreHarness;
`job_queue()` yields a QueueHarness; `pause_record()` yields a PauseHarness. Add a line
here to enrol a new adapter family.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType

from profilephoto.domain.models import JobMessage, PresignedRequest
from profilephoto.domain.ports import JobQueue, ObjectStore, PauseRecord

RUNTIMES: dict[str, str] = {
    "local": "tests.contract.runtimes.local",
    "aws": "tests.contract.runtimes.aws",
    "memory": "tests.contract.runtimes.memory",
}


@dataclass
class StoreHarness:
    store: ObjectStore
    # Performs the presigned request as a client would (a real HTTP PUT where there is one).
    upload: Callable[[PresignedRequest, bytes], None]


@dataclass
class QueueHarness:
    queue: JobQueue
    receive: Callable[[], list[JobMessage]]
    # Makes the next send fail the way the real service fails (queue gone, throttled...).
    break_next_send: Callable[[], None]


@dataclass
class PauseHarness:
    record: PauseRecord
    # Another worker's adapter over the same store (another Lambda container, process).
    another: Callable[[], PauseRecord]
    # Makes the store fail the next call the way the real one fails.
    break_next: Callable[[], None]


def load(name: str) -> ModuleType:
    return importlib.import_module(RUNTIMES[name])


__all__ = ["RUNTIMES", "Iterator", "PauseHarness", "QueueHarness", "StoreHarness", "load"]
