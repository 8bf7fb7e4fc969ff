"""Fault injection shared by the fakes: `fail_next(error)` makes the next call raise it."""

from __future__ import annotations

import threading


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[tuple[str | None, Exception]] = []
        self._fault_lock = threading.Lock()

    def fail_next(self, error: Exception, operation: str | None = None, times: int = 1) -> None:
        """The next `times` calls (of `operation`, or of any operation) raise `error`."""
        with self._fault_lock:
            self._faults.extend([(operation, error)] * times)

    def _maybe_fail(self, operation: str) -> None:
        with self._fault_lock:
            for index, (wanted, error) in enumerate(self._faults):
                if wanted in (None, operation):
                    del self._faults[index]
                    raise error
