"""UnsentWebhooks on SQLite: the webhook events kept by the commits that ended their jobs."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from profilephoto.adapters.local.sqlite_db import SqliteDatabase
from profilephoto.adapters.local.sqlite_repos import dump
from profilephoto.domain.models import iso_z
from profilephoto.domain.webhooks import DELIVERY_WINDOW, WebhookEvent

# A table of its own: no job listing, sweep or report reads it.
SCHEMA = """
CREATE TABLE IF NOT EXISTS unsent_webhooks (
    event_id TEXT PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS unsent_webhooks_by_age ON unsent_webhooks (occurred_at);
"""


def keep_event(conn: sqlite3.Connection, event: WebhookEvent) -> None:
    """Keep the event inside the caller's transaction (the one that ends its job)."""
    conn.execute(
        "INSERT OR REPLACE INTO unsent_webhooks (event_id, occurred_at, body) VALUES (?, ?, ?)",
        (event.id, iso_z(event.occurred_at), dump(event)),
    )


def purge_unsent(conn: sqlite3.Connection, now: datetime) -> int:
    """Drop the events past their delivery window (DynamoDB's `ttl` on AWS)."""
    cutoff = iso_z(now - DELIVERY_WINDOW)
    return conn.execute("DELETE FROM unsent_webhooks WHERE occurred_at < ?", (cutoff,)).rowcount


class SqliteUnsentWebhooks:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def older_than(self, moment: datetime, limit: int) -> list[WebhookEvent]:
        rows = self._db.query(
            "SELECT body FROM unsent_webhooks WHERE occurred_at < ? "
            "ORDER BY occurred_at, event_id LIMIT ?",
            (iso_z(moment), limit),
        )
        return [WebhookEvent.model_validate(json.loads(row["body"])) for row in rows]

    def remove(self, event_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM unsent_webhooks WHERE event_id = ?", (event_id,))
