"""The load model's machinery: SQS, a rate-limited model and a simulated clock."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from profilephoto.adapters.memory.generator import ScriptedImageGenerator
from profilephoto.domain.errors import TransientGenerationError
from profilephoto.domain.models import GeneratedImage, ImageData, JobMessage, Style

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


@dataclass
class Message:
    message_id: str
    body: JobMessage
    sent_at: float
    visible_at: float
    receive_count: int = 0


class SimQueue:
    """An SQS standard queue: visibility timeout, receive counts, a redrive policy to a DLQ.

    Receives the oldest visible messages first (SQS only tries to; an optimistic order).
    Implements JobQueue (send) and Redelivery (postpone) for the services.
    """

    def __init__(self, clock: Callable[[], float], visibility_timeout: float, max_receives: int):
        self._clock, self.visibility_timeout, self.max_receives = (
            clock,
            visibility_timeout,
            max_receives,
        )
        self.messages: dict[str, Message] = {}
        self.dead: list[Message] = []
        self.postponements: list[float] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def send(self, message: JobMessage) -> None:
        now = self._clock()
        message_id = f"m{next(self._ids)}"
        self.messages[message_id] = Message(message_id, message, now, now)

    def receive(self, limit: int) -> list[Message]:
        now = self._clock()
        visible = sorted(
            (m for m in self.messages.values() if m.visible_at <= now),
            key=lambda m: (m.visible_at, m.sent_at, m.message_id),
        )
        batch: list[Message] = []
        for message in visible:
            if len(batch) == limit:
                break
            if message.receive_count >= self.max_receives:  # the redrive policy
                self.dead.append(self.messages.pop(message.message_id))
                continue
            message.receive_count += 1
            message.visible_at = now + self.visibility_timeout
            batch.append(message)
        return batch

    def postpone(self, receipt: str, delay: timedelta) -> None:
        with self._lock:
            self.postponements.append(delay.total_seconds())
            if receipt in self.messages:
                self.messages[receipt].visible_at = self._clock() + delay.total_seconds()

    def delete(self, message_id: str) -> None:
        self.messages.pop(message_id, None)

    def next_visible(self) -> float | None:
        return min((m.visible_at for m in self.messages.values()), default=None)


@dataclass
class Call:
    """One request that reached the model: when, and what it answered."""

    started: float
    accepted: bool
    latency: float
    overloaded: bool = False


class RateLimitedModel:
    """A model with `rpm(now)` requests per fixed minute; beyond it, 429 with RetryInfo's hint.

    The records of one Lambda invocation call it concurrently: a call waits at the
    invocation's gate until every record of the batch has called or finished otherwise,
    so no record learns of another's 429 before making its own call, as in Lambda.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        rpm: Callable[[float], int],
        latency: Callable[[str], float],
        overloaded_calls: int = 0,
    ) -> None:
        self._clock, self.rpm, self._latency = clock, rpm, latency
        self._overloaded = overloaded_calls  # the first calls answer 503, without a hint
        self.calls: list[Call] = []
        self._window = -1
        self._used = 0
        self._images = ScriptedImageGenerator(model="simulated-model")
        self._lock = threading.Condition()
        self._gate: Gate | None = None

    @property
    def model_name(self) -> str:
        return "simulated-model"

    def open_gate(self, size: int) -> Gate:
        self._gate = Gate(size, self._lock, self._decide)
        return self._gate

    def generate(
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        gate = self._gate
        assert gate is not None, "the model is only called from an invocation"
        call = gate.call()
        if call.overloaded:
            raise TransientGenerationError("503 UNAVAILABLE")
        if not call.accepted:
            hint = timedelta(seconds=self._retry_after(call.started))
            raise TransientGenerationError(
                "429 RESOURCE_EXHAUSTED", retry_after=hint, throttled=True
            )
        return self._images.generate(images, style, aspect_ratio=aspect_ratio, seed=seed)

    def _decide(self, key: str) -> Call:
        now = self._clock()
        window = int(now // 60)
        if window != self._window:
            self._window, self._used = window, 0
        if self._overloaded > 0:
            self._overloaded -= 1
            call = Call(now, False, 1.0, overloaded=True)
            self.calls.append(call)
            return call
        accepted = self._used < self.rpm(window * 60.0)
        self._used += accepted
        call = Call(now, accepted, self._latency(key) if accepted else 0.3)
        self.calls.append(call)
        return call

    def _retry_after(self, now: float) -> float:
        # Gemini rounds its retryDelay to whole seconds ("53s"): until the window turns.
        return float(int(60 - now % 60) + 1)


class Gate:
    """Holds the calls of one invocation until all its records have called or left."""

    def __init__(self, size: int, lock: threading.Condition, decide: Callable[[str], Call]) -> None:
        self._size, self._lock, self._decide = size, lock, decide
        self._waiting: dict[int, str] = {}
        self._answers: dict[int, Call] = {}
        self._settled = 0
        self.local = threading.local()

    def enter(self, index: int, key: str) -> None:
        """The calling thread now runs record `index` (`key` seeds its model latency)."""
        self.local.index, self.local.key, self.local.called = index, key, False

    def call(self) -> Call:
        index, key = self.local.index, self.local.key
        with self._lock:
            self.local.called = True
            self._waiting[index] = key
            self._settled += 1
            self._release_if_all()
            self._lock.wait_for(lambda: index in self._answers)
            return self._answers[index]

    def leave(self) -> Call | None:
        """The record is done; its model call, if it made one."""
        with self._lock:
            if self.local.called:
                return self._answers[self.local.index]
            self._settled += 1
            self._release_if_all()
            return None

    def _release_if_all(self) -> None:
        if self._settled == self._size:
            for index in sorted(self._waiting):  # decided in record order: deterministic
                self._answers[index] = self._decide(self._waiting[index])
            self._lock.notify_all()


@dataclass(order=True)
class Event:
    time: float
    seq: int
    action: Callable[[], None] = field(compare=False)


class EventLoop:
    """A simulated clock: actions run in time order, each at its own moment."""

    def __init__(self) -> None:
        self.now = 0.0
        self._events: list[Event] = []
        self._seq = itertools.count()

    def schedule(self, time: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, Event(max(time, self.now), next(self._seq), action))

    def run(self, until: float) -> None:
        while self._events and self._events[0].time <= until:
            event = heapq.heappop(self._events)
            self.now = event.time
            event.action()
