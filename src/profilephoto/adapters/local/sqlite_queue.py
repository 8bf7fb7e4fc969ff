"""A durable queue in SQLite with SQS's visibility timeout, receive counts and DLQ (the jobs',
and the webhook deliveries' own)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from profilephoto.adapters.local.sqlite_db import SqliteDatabase
from profilephoto.domain.errors import QueueUnavailable
from profilephoto.domain.models import JobMessage, Model, ReceivedMessage

# Named apart from the unit of work's tables (and each queue from the others: `queue` is the
# jobs', `webhook` the webhooks') so all may share one database file.
SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_messages (
    message_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    sent_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at REAL
);
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (visible_at, sent_at);
CREATE TABLE IF NOT EXISTS queue_dead_letters (
    message_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    sent_at REAL NOT NULL,
    receive_count INTEGER NOT NULL,
    dead_at REAL NOT NULL
);
"""


class SqliteJobQueue:
    """Like an SQS standard queue with a redrive policy, in one file that outlives the process.

    A received message stays invisible for `visibility_timeout` seconds; unless deleted
    it is delivered again with a higher receive count. A message already received
    `max_receives` times is moved to the dead-letter table instead of being delivered.
    """

    def __init__(
        self,
        path: Path | str,
        visibility_timeout: float = 30.0,
        max_receives: int = 5,
        busy_timeout: float = 10.0,
        *,
        name: str = "queue",
        body: type[Model] = JobMessage,
    ) -> None:
        if not name.isidentifier():
            raise ValueError("a queue's name must be an identifier")
        self.visibility_timeout = visibility_timeout
        self.max_receives = max_receives
        self._body = body
        self._messages, self._dead = f"{name}_messages", f"{name}_dead_letters"
        schema = SCHEMA.replace("queue_", f"{name}_")
        self.db = SqliteDatabase(path, schema, busy_timeout, unavailable=QueueUnavailable)

    def send(self, message: Model) -> None:
        """Put one message on the queue, or raise QueueUnavailable (nothing was sent)."""
        now = _epoch(None)
        body = json.dumps(message.to_json_dict(), separators=(",", ":"))
        with self.db.transaction() as conn:
            conn.execute(
                f"INSERT INTO {self._messages} (message_id, body, sent_at, visible_at) "
                "VALUES (?, ?, ?, ?)",
                (str(uuid.uuid4()), body, now, now),
            )

    def receive(
        self, max_messages: int = 10, now: datetime | None = None
    ) -> list[ReceivedMessage[Model]]:
        """Up to `max_messages` visible messages, oldest first, now hidden and counted."""
        at = _epoch(now)
        received: list[ReceivedMessage[Model]] = []
        with self.db.transaction() as conn:
            rows = conn.execute(
                f"SELECT * FROM {self._messages} WHERE visible_at <= ? "
                "ORDER BY sent_at, message_id LIMIT ?",
                (at, max_messages),
            ).fetchall()
            for row in rows:
                body = self._parse(row["body"])
                # An unreadable body would fail every receive; the DLQ is where it belongs.
                if body is None or row["receive_count"] >= self.max_receives:
                    self._bury(conn, row, at)
                    continue
                count = row["receive_count"] + 1
                first = row["first_received_at"] or at
                conn.execute(
                    f"UPDATE {self._messages} SET receive_count = ?, visible_at = ?, "
                    "first_received_at = ? WHERE message_id = ?",
                    (count, at + self.visibility_timeout, first, row["message_id"]),
                )
                received.append(
                    ReceivedMessage(
                        message_id=row["message_id"],
                        body=body,
                        receive_count=count,
                        sent_at=row["sent_at"],
                        first_received_at=first,
                    )
                )
        return received

    def delete(self, message_id: str) -> None:
        """Acknowledge a message; deleting an unknown one is not an error."""
        with self.db.transaction() as conn:
            conn.execute(f"DELETE FROM {self._messages} WHERE message_id = ?", (message_id,))

    def release(self, message_id: str, delay: float = 0.0, now: datetime | None = None) -> None:
        """Make a received message visible again after `delay` seconds (a failed item)."""
        with self.db.transaction() as conn:
            conn.execute(
                f"UPDATE {self._messages} SET visible_at = ? WHERE message_id = ?",
                (_epoch(now) + delay, message_id),
            )

    def postpone(self, receipt: str, delay: timedelta) -> None:
        """Redelivery: the received message (receipt = its id) comes back after `delay`."""
        with contextlib.suppress(QueueUnavailable):  # the timeout brings it back, as on SQS
            self.release(receipt, max(delay.total_seconds(), 0.0))

    def depth(self) -> int:
        """Messages waiting or in flight (not dead letters)."""
        return int(self.db.query(f"SELECT COUNT(*) AS n FROM {self._messages}")[0]["n"])

    def dead_letters(self) -> list[ReceivedMessage[Model]]:
        """Messages given up on; an unreadable body stays in the table but is not listed."""
        rows = self.db.query(f"SELECT * FROM {self._dead} ORDER BY dead_at, message_id")
        return [
            ReceivedMessage(
                message_id=row["message_id"],
                body=body,
                receive_count=row["receive_count"],
                sent_at=row["sent_at"],
            )
            for row in rows
            if (body := self._parse(row["body"])) is not None
        ]

    def close(self) -> None:
        self.db.close()

    def _bury(self, conn: sqlite3.Connection, row: sqlite3.Row, at: float) -> None:
        conn.execute(
            f"INSERT OR REPLACE INTO {self._dead} "
            "(message_id, body, sent_at, receive_count, dead_at) VALUES (?, ?, ?, ?, ?)",
            (row["message_id"], row["body"], row["sent_at"], row["receive_count"], at),
        )
        conn.execute(f"DELETE FROM {self._messages} WHERE message_id = ?", (row["message_id"],))

    def _parse(self, body: str) -> Model | None:
        try:
            return self._body.model_validate_json(body)
        except ValueError:
            return None


def _epoch(now: datetime | None) -> float:
    return (now or datetime.now(UTC)).timestamp()
