"""When a message handed back for a retry is delivered again: exponential steps with jitter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Backoff:
    """A pure schedule: the n-th retry waits `steps[n-1]` (the last step repeats), at least
    the model's hint, at most `cap`, stretched by up to `jitter` so that messages handed back
    together do not all come back in the same second."""

    steps: tuple[timedelta, ...] = (5 * SECOND, 30 * SECOND, 120 * SECOND)
    cap: timedelta = timedelta(minutes=5)
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if not self.steps or any(step < timedelta(0) for step in self.steps):
            raise ValueError("Backoff needs at least one non-negative step")
        if self.jitter < 0:
            raise ValueError("Backoff jitter cannot be negative")

    def delay(self, retry: int, hint: timedelta | None = None, draw: float = 0.0) -> timedelta:
        """The wait before retry number `retry` (1 for the first); `draw` is uniform in [0, 1).

        The hint is a floor, never shortened by jitter (RetryInfo: "clients should wait at
        least this long"); the cap bounds our schedule and the hint alike, so one odd
        `retryDelay` cannot park a job for hours.
        """
        step = self.steps[min(max(retry, 1), len(self.steps)) - 1]
        floor = max(step, hint or timedelta(0))
        stretched = floor * (1 + self.jitter * min(max(draw, 0.0), 1.0))
        return min(stretched, max(self.cap, step))
