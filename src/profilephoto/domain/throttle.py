"""The worker's answer to a model that pushes back: a breaker on 429s and the retry delays."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from profilephoto.domain.backoff import Backoff
from profilephoto.domain.errors import TransientGenerationError
from profilephoto.domain.models import GeneratedImage, ImageData, Style
from profilephoto.domain.ports import Clock, ImageGenerator


class ThrottleBreaker:
    """Per container: after `threshold` throttled calls in a row, no model call until the
    model's hinted moment (else `default_pause`) has passed. Thread-safe: the records of a
    batch run concurrently and share it."""

    def __init__(
        self,
        threshold: int = 1,
        default_pause: timedelta = timedelta(seconds=30),
        max_pause: timedelta = timedelta(minutes=5),
    ) -> None:
        if threshold < 1:
            raise ValueError("ThrottleBreaker needs a threshold of at least 1")
        self.threshold, self.default_pause, self.max_pause = threshold, default_pause, max_pause
        self._streak = 0
        self._until: datetime | None = None
        self._lock = threading.Lock()

    def paused_for(self, now: datetime) -> timedelta | None:
        """How long model calls stay paused from `now`, or None when they may be made."""
        with self._lock:
            if self._until is None or now >= self._until:
                return None
            return self._until - now

    def throttled(self, now: datetime, hint: timedelta | None) -> None:
        """A call was refused for our rate; enough in a row open the breaker."""
        with self._lock:
            self._streak += 1
            if self._streak < self.threshold:
                return
            pause = min(hint if hint is not None else self.default_pause, self.max_pause)
            until = now + pause
            self._until = until if self._until is None else max(self._until, until)

    def succeeded(self) -> None:
        """A call went through: the streak starts over."""
        with self._lock:
            self._streak = 0


class BreakerGenerator:
    """An ImageGenerator that tells the breaker how each call went (and nothing else)."""

    def __init__(self, inner: ImageGenerator, breaker: ThrottleBreaker, clock: Clock) -> None:
        self._inner, self._breaker, self._clock = inner, breaker, clock

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
            generated = self._inner.generate(images, style, aspect_ratio=aspect_ratio, seed=seed)
        except TransientGenerationError as error:
            if error.throttled:
                self._breaker.throttled(self._clock.now(), error.retry_after)
            raise
        self._breaker.succeeded()
        return generated


@dataclass
class Throttle:
    """What the processing service consults before a claim and after a transient failure.

    `backoff=None` leaves a failed message to the queue's visibility timeout, `breaker=None`
    never pauses: with `throttling_spares_last_attempt=False`, the policy before retries were
    scheduled (the load model in `make bench` compares both).
    """

    backoff: Backoff | None = field(default_factory=Backoff)
    breaker: ThrottleBreaker | None = field(default_factory=ThrottleBreaker)
    draw: Callable[[], float] = random.random
    # A call the model refused for our request rate says nothing about the job: it does
    # not end the job on its last attempt (the queue's maxReceiveCount and the sweep
    # still bound it). False is the policy before, when a third 429 failed the job.
    throttling_spares_last_attempt: bool = True

    def guard(self, generator: ImageGenerator, clock: Clock) -> ImageGenerator:
        """The generator the service calls: watched by the breaker, when there is one."""
        return (
            generator if self.breaker is None else BreakerGenerator(generator, self.breaker, clock)
        )

    def paused(self, now: datetime) -> timedelta | None:
        """When a message should come back if model calls are paused now, else None: after
        the pause, spread by the schedule's jitter so the held-back messages do not all
        return in the same second."""
        pause = self.breaker.paused_for(now) if self.breaker else None
        if pause is None or self.backoff is None:
            return pause
        return self.backoff.delay(1, pause, self.draw())

    def gives_up(self, attempts: int, max_attempts: int, throttled: bool) -> bool:
        """Whether a transient failure on attempt `attempts` ends the job."""
        if throttled and self.throttling_spares_last_attempt:
            return False
        return attempts >= max_attempts

    def retry_delay(self, retry: int, hint: timedelta | None) -> timedelta | None:
        """When a message handed back after a transient failure should come back."""
        return None if self.backoff is None else self.backoff.delay(retry, hint, self.draw())
