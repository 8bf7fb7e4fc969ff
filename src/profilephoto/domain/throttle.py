"""The worker's answer to a model that pushes back: the fleet's shared pause and retry delays."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from profilephoto.domain.backoff import Backoff
from profilephoto.domain.errors import ServiceUnavailable, TransientGenerationError
from profilephoto.domain.models import GeneratedImage, ImageData, Style
from profilephoto.domain.ports import Clock, ImageGenerator, PauseRecord

log = logging.getLogger(__name__)

# How long a container trusts what it last read of the pause: the records of one batch
# start together, so they share one read; a batch that calls the model lasts longer (6 s
# and more), so each batch reads at most once. A 429 elsewhere is learnt this late at worst.
REFRESH = timedelta(seconds=5)
# Gemini's retryDelay is in whole seconds: a 429 that would move the known pause by less
# than that says nothing new, and is not written again.
SAME_PAUSE = timedelta(seconds=1)


class Throttle:
    """What the processing service consults before a claim and after a transient failure.

    The pause is the fleet's: when any worker meets a 429, every worker holds back until
    the model's `retryDelay` (else the backoff's first step) has passed. Each container
    keeps what it last read or wrote of the PauseRecord, reads it again at most every
    `refresh`, and writes it only when a 429 moves the pause later. Thread-safe: the
    records of a batch run concurrently and share it.
    """

    def __init__(
        self,
        pauses: PauseRecord,
        backoff: Backoff | None = None,
        draw: Callable[[], float] = random.random,
        refresh: timedelta = REFRESH,
    ) -> None:
        self._pauses, self.backoff, self._draw = pauses, backoff or Backoff(), draw
        self._refresh = refresh
        self._known: datetime | None = None  # the pause as last read or written here
        self._read_at: datetime | None = None
        self._lock = threading.Lock()

    def guard(self, generator: ImageGenerator, clock: Clock) -> ImageGenerator:
        """The generator the service calls: its 429s pause the fleet."""
        return ThrottledGenerator(generator, self, clock)

    def paused(self, now: datetime) -> timedelta | None:
        """When a message should come back if model calls are paused now, else None: after
        the pause, spread by the schedule's jitter so the held-back messages do not all
        return in the same second."""
        until = self._pause(now)
        if until is None or now >= until:
            return None
        return self.backoff.delay(1, until - now, self._draw())

    def throttled(self, now: datetime, hint: timedelta | None) -> None:
        """A call was refused for our rate: pause every worker for the hint (RetryInfo's
        "wait at least this long"), or the backoff's first step without one."""
        until = now + self.backoff.delay(1, hint)
        with self._lock:
            if self._known is not None and until <= self._known + SAME_PAUSE:
                return  # this pause is known here, so it was read or written already
            self._known = until
        try:
            self._pauses.extend(until)
        except ServiceUnavailable:
            # This container still holds back; the others learn of the quota from their
            # own 429s, as if the pause were not shared.
            log.warning("could not record the model's pause for the fleet")

    def gives_up(self, attempts: int, max_attempts: int, throttled: bool) -> bool:
        """Whether a transient failure on attempt `attempts` ends the job. A call the model
        refused for our request rate says nothing about the job: it never ends it (the
        queue's maxReceiveCount and the reconciler's sweep still bound a job)."""
        return not throttled and attempts >= max_attempts

    def retry_delay(self, retry: int, hint: timedelta | None) -> timedelta:
        """When a message handed back after a transient failure should come back."""
        return self.backoff.delay(retry, hint, self._draw())

    def _pause(self, now: datetime) -> datetime | None:
        with self._lock:
            stale = self._read_at is None or not (
                self._read_at <= now < self._read_at + self._refresh
            )
            if stale:
                self._read_at = now
                try:
                    recorded = self._pauses.paused_until()
                except ServiceUnavailable:
                    log.warning("could not read the model's pause; going by this container's")
                    recorded = None
                if recorded is not None and (self._known is None or recorded > self._known):
                    self._known = recorded
            return self._known


class ThrottledGenerator:
    """An ImageGenerator whose calls refused with 429 pause the fleet (and nothing else)."""

    def __init__(self, inner: ImageGenerator, throttle: Throttle, clock: Clock) -> None:
        self._inner, self._throttle, self._clock = inner, throttle, clock

    @property
    def model_name(self) -> str:
        return self._inner.model_name

    def generate(
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        try:
            return self._inner.generate(images, style, aspect_ratio=aspect_ratio, seed=seed)
        except TransientGenerationError as error:
            if error.throttled:
                self._throttle.throttled(self._clock.now(), error.retry_after)
            raise
