"""A queue that keeps what was sent and a notifier that records what it pushed."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from profilephoto.adapters.memory.faults import FaultInjector
from profilephoto.domain.models import JobMessage, JobStatusMessage, Model, ReceivedMessage
from profilephoto.domain.webhooks import WebhookEvent

M = TypeVar("M", bound=Model)


@dataclass
class _InFlight(Generic[M]):
    received: ReceivedMessage[M]
    visible_at: float


class InMemoryQueue(FaultInjector, Generic[M]):
    """`sent` holds what was sent and not yet taken; `drain()` takes it all at once (a test
    playing the worker), `receive()`/`delete()`/`release()` take it as the SQLite queue and
    SQS do (a worker thread), with a visibility timeout."""

    def __init__(self, visibility_timeout: float = 30.0) -> None:
        super().__init__()
        self.sent: list[M] = []
        self.postponed: list[tuple[str, timedelta]] = []
        self.visibility_timeout = visibility_timeout
        self._in_flight: dict[str, _InFlight[M]] = {}
        self._lock = threading.Lock()

    def send(self, message: M) -> None:
        self._maybe_fail("send")
        with self._lock:
            self.sent.append(message)

    def postpone(self, receipt: str, delay: timedelta) -> None:
        """Redelivery: records (receipt, delay), and a received message comes back then."""
        with self._lock:
            self.postponed.append((receipt, delay))
        self.release(receipt, max(delay.total_seconds(), 0.0))

    def drain(self) -> list[M]:
        """Take every message sent so far (a test's stand-in for receiving)."""
        with self._lock:
            taken, self.sent = self.sent, []
        return taken

    def receive(
        self, max_messages: int = 10, now: datetime | None = None
    ) -> list[ReceivedMessage[M]]:
        """Up to `max_messages`: messages due again first, then new ones, oldest first."""
        at = now.timestamp() if now is not None else time.time()
        with self._lock:
            due = [f for f in self._in_flight.values() if f.visible_at <= at][:max_messages]
            batch = [
                ReceivedMessage(
                    message_id=f.received.message_id,
                    body=f.received.body,
                    receive_count=f.received.receive_count + 1,
                    sent_at=f.received.sent_at,
                    first_received_at=f.received.first_received_at,
                )
                for f in due
            ]
            while self.sent and len(batch) < max_messages:
                message = self.sent.pop(0)
                batch.append(ReceivedMessage(uuid.uuid4().hex, message, 1, at, at))
            for received in batch:
                self._in_flight[received.message_id] = _InFlight(
                    received, at + self.visibility_timeout
                )
        return batch

    def delete(self, message_id: str) -> None:
        with self._lock:
            self._in_flight.pop(message_id, None)

    def release(self, message_id: str, delay: float = 0.0, now: datetime | None = None) -> None:
        at = now.timestamp() if now is not None else time.time()
        with self._lock:
            if message_id in self._in_flight:
                self._in_flight[message_id].visible_at = at + delay

    def depth(self) -> int:
        """Messages waiting or in flight."""
        with self._lock:
            return len(self.sent) + len(self._in_flight)


class InMemoryJobQueue(InMemoryQueue[JobMessage]):
    """The jobs' queue."""


class InMemoryWebhookOutbox(InMemoryQueue[WebhookEvent]):
    """The webhook deliveries' own queue."""


class RecordingNotifier:
    def __init__(self) -> None:
        self.notifications: list[tuple[str, JobStatusMessage]] = []
        self._lock = threading.Lock()

    def notify(self, user_id: str, message: JobStatusMessage) -> None:
        with self._lock:
            self.notifications.append((user_id, message))
