"""The fleet's pause on model calls, in memory: one object every worker of a test shares."""

from __future__ import annotations

import threading
from datetime import datetime

from profilephoto.adapters.memory.faults import FaultInjector


class InMemoryPauseRecord(FaultInjector):
    """`until` is the recorded pause; `reads` and `writes` count the calls a real store
    would be sent (the load model prints them per job)."""

    def __init__(self) -> None:
        super().__init__()
        self.until: datetime | None = None
        self.reads = 0
        self.writes = 0
        self._lock = threading.Lock()

    def paused_until(self) -> datetime | None:
        self._maybe_fail("read")
        with self._lock:
            self.reads += 1
            return self.until

    def extend(self, until: datetime) -> None:
        self._maybe_fail("extend")
        with self._lock:
            self.writes += 1
            if self.until is None or until > self.until:
                self.until = until
