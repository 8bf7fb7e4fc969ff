"""A byte budget shared by every decode in a process, so a batch cannot outgrow the worker."""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MB = 1024 * 1024
# Share of the function's memory that decoding may hold at once; the rest is the runtime,
# the SDKs, the model's answers in flight and the encoded photos (measured in docs/api.md).
DECODE_SHARE = 0.6


def budget_bytes(function_memory_mb: int, decode_memory_mb: int | None = None) -> int:
    """DECODE_MEMORY_MB when set, else DECODE_SHARE of the function's memory."""
    if decode_memory_mb is not None:
        return decode_memory_mb * MB
    return int(function_memory_mb * DECODE_SHARE) * MB


# glibc's mallopt parameter (malloc.h) and its default value.
M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD = -3, 128 * 1024
_tuned = False


def return_freed_pixels_to_the_os() -> None:
    """Have glibc give big freed blocks back to the kernel, once per process.

    By default glibc raises its mmap threshold each time a big block is freed (up to
    32 MB); Pillow's 16 MB pixel blocks then come from per-thread arenas and stay
    resident, so five threads decoding one after another hold five decodes' worth of
    memory (measured: 215 MB instead of 87 MB). A fixed threshold turns that off.
    """
    global _tuned
    if _tuned:
        return
    _tuned = True
    with contextlib.suppress(OSError, AttributeError):  # not glibc (musl, macOS): no tuning
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD)


class OverBudget(Exception):
    """One decode alone would need more than the whole budget: it can never run here."""


class BudgetBusy(Exception):
    """Other decodes held the budget for longer than the caller may wait."""


class DecodeBudget:
    """A counting semaphore in bytes: `reserve(n)` waits until n bytes are free.

    Threads (the records of one batch) decode at once only as far as their estimated
    memory fits; the rest wait their turn instead of taking the worker down.
    """

    def __init__(self, capacity: int, wait_seconds: float = 120.0) -> None:
        if capacity < 1:
            raise ValueError("a decode budget needs at least one byte")
        self.capacity = capacity
        self._wait = wait_seconds
        self._used = 0
        self.peak = 0  # the most ever reserved at once, for tests and the benchmark
        self._cond = threading.Condition()

    @property
    def in_use(self) -> int:
        with self._cond:
            return self._used

    @contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Hold `nbytes` of the budget for the duration of the block."""
        if nbytes > self.capacity:
            raise OverBudget(f"needs {nbytes // MB} MB, the budget is {self.capacity // MB} MB")
        deadline = time.monotonic() + self._wait
        with self._cond:
            while self._used + nbytes > self.capacity:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BudgetBusy(f"waited {self._wait:.0f} s for {nbytes // MB} MB")
                self._cond.wait(remaining)
            self._used += nbytes
            self.peak = max(self.peak, self._used)
        try:
            yield
        finally:
            with self._cond:
                self._used -= nbytes
                self._cond.notify_all()
