"""The fleet's pause on model calls in SQLite: every worker process of a data directory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from profilephoto.adapters.local.sqlite_db import SqliteDatabase

# Named apart from the unit of work's and the queue's tables: all share one database file.
SCHEMA = """
CREATE TABLE IF NOT EXISTS model_pause (
    name TEXT PRIMARY KEY,
    resume_at REAL NOT NULL
);
"""
NAME = "model"


class SqlitePauseRecord:
    def __init__(self, path: Path | str, busy_timeout: float = 10.0) -> None:
        self.db = SqliteDatabase(path, SCHEMA, busy_timeout)

    def paused_until(self) -> datetime | None:
        rows = self.db.query("SELECT resume_at FROM model_pause WHERE name = ?", (NAME,))
        return datetime.fromtimestamp(rows[0]["resume_at"], UTC) if rows else None

    def extend(self, until: datetime) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO model_pause (name, resume_at) VALUES (?, ?) ON CONFLICT (name) "
                "DO UPDATE SET resume_at = excluded.resume_at "
                "WHERE excluded.resume_at > model_pause.resume_at",
                (NAME, until.timestamp()),
            )

    def close(self) -> None:
        self.db.close()
