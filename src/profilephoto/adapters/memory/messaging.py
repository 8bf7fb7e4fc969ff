"""A queue that keeps what was sent and a notifier that records what it pushed."""

from __future__ import annotations

import threading
from datetime import timedelta

from profilephoto.adapters.memory.faults import FaultInjector
from profilephoto.domain.models import JobMessage, JobStatusMessage


class InMemoryJobQueue(FaultInjector):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[JobMessage] = []
        self.postponed: list[tuple[str, timedelta]] = []
        self._lock = threading.Lock()

    def send(self, message: JobMessage) -> None:
        self._maybe_fail("send")
        with self._lock:
            self.sent.append(message)

    def postpone(self, receipt: str, delay: timedelta) -> None:
        """Redelivery: records (receipt, delay); a test plays the queue's part."""
        with self._lock:
            self.postponed.append((receipt, delay))

    def drain(self) -> list[JobMessage]:
        """Take every message sent so far (a test's stand-in for receiving)."""
        with self._lock:
            taken, self.sent = self.sent, []
        return taken


class RecordingNotifier:
    def __init__(self) -> None:
        self.notifications: list[tuple[str, JobStatusMessage, str | None]] = []
        self._lock = threading.Lock()

    def notify(self, user_id: str, message: JobStatusMessage, extra: str | None = None) -> None:
        with self._lock:
            self.notifications.append((user_id, message, extra))
