"""The SQLite unit of work: one database file, each multi-item commit one transaction."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from profilephoto.adapters.local import sqlite_outbox
from profilephoto.adapters.local.sqlite_db import SqliteDatabase
from profilephoto.adapters.local.sqlite_outbox import (
    SqliteUnsentWebhooks,
    keep_event,
    purge_unsent,
)
from profilephoto.adapters.local.sqlite_repos import (
    SqliteConnectionRepository,
    SqliteIdempotencyStore,
    SqliteJobRepository,
    SqliteUsageLedger,
    SqliteUserRepository,
    dump,
    load_report,
    load_user,
    require_job,
    store_job,
)
from profilephoto.domain.job_deletion import JobDeletion
from profilephoto.domain.job_lifecycle import JobChange
from profilephoto.domain.models import IdempotencyRecord, Job, User, iso_z
from profilephoto.domain.report import DayReport, ReportEntry
from profilephoto.domain.reservation import Reservation

# The tables mirror docs/api.md §5: the item as JSON plus the attributes its indexes need.
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS usage (
    user_id_date TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    date TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    last_updated TEXT NOT NULL,
    ttl INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_by_user ON usage (user_id, date);
CREATE TABLE IF NOT EXISTS day_reports (
    date TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    ttl INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS personal_limits (
    user_id TEXT PRIMARY KEY,
    daily_limit INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_user ON jobs (user_id, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at);
CREATE TABLE IF NOT EXISTS connections (
    connection_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS connections_by_user ON connections (user_id);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL,
    body TEXT NOT NULL
);
"""


class SqliteUnitOfWork:
    """The repositories over one database file; safe to share between threads."""

    def __init__(self, path: Path | str, busy_timeout: float = 10.0) -> None:
        self.db = SqliteDatabase(path, SCHEMA + sqlite_outbox.SCHEMA, busy_timeout)
        self.users = SqliteUserRepository(self.db)
        self.usage = SqliteUsageLedger(self.db)
        self.jobs = SqliteJobRepository(self.db)
        self.connections = SqliteConnectionRepository(self.db)
        self.idempotency = SqliteIdempotencyStore(self.db)
        self.unsent_webhooks = SqliteUnsentWebhooks(self.db)

    def purge_expired(self, now: datetime) -> int:
        """Delete what DynamoDB's TTL would: usage, connections, idempotency records and
        unsent webhook events past their expiry (jobs are kept, as on AWS). Returns how many
        rows went."""
        epoch = int(now.timestamp())
        with self.db.transaction() as conn:
            removed = conn.execute("DELETE FROM usage WHERE ttl < ?", (epoch,)).rowcount
            removed += conn.execute("DELETE FROM day_reports WHERE ttl < ?", (epoch,)).rowcount
            removed += conn.execute(
                "DELETE FROM connections WHERE json_extract(body, '$.ttl') < ?", (epoch,)
            ).rowcount
            removed += conn.execute(
                "DELETE FROM idempotency WHERE expires_at <= ?", (iso_z(now),)
            ).rowcount
            removed += purge_unsent(conn, now)
        return removed

    def close(self) -> None:
        self.db.close()

    def reserve_and_create_job(self, reservation: Reservation) -> int:
        r = reservation
        job, capacity, idempotency = r.job, r.capacity, r.idempotency
        with self.db.transaction() as conn:
            count = _count(conn, r.usage_key)
            r.check(
                job_exists=bool(
                    conn.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job.job_id,)).fetchone()
                ),
                live=_live_idempotency(conn, idempotency.key, r.now) if idempotency else None,
                used=count,
                capacity_used=_count(conn, capacity.key) if capacity else 0,
                owner=_user(conn, job.user_id),
            )
            _add(conn, r.usage_key, r.units, r.now, r.expires_at)
            if capacity is not None:
                _add(conn, capacity.key, r.units, r.now, capacity.expires_at)
            conn.execute(
                "INSERT INTO jobs (job_id, user_id, status, created_at, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (job.job_id, job.user_id, job.status.value, iso_z(job.created_at), dump(job)),
            )
            if idempotency is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO idempotency (key, expires_at, body) VALUES (?, ?, ?)",
                    (idempotency.key, iso_z(idempotency.expires_at), dump(idempotency)),
                )
            return count + r.units

    def delete_job(self, deletion: JobDeletion) -> None:
        with self.db.transaction() as conn:
            key = deletion.idempotency_key
            if key is not None and deletion.forgets(_stored_idempotency(conn, key)):
                conn.execute("DELETE FROM idempotency WHERE key = ?", (key,))
            conn.execute("DELETE FROM jobs WHERE job_id = ?", (deletion.job_id,))

    def apply(self, change: JobChange) -> Job:
        with self.db.transaction() as conn:
            moved = store_job(conn, change.applied_to(require_job(conn, change.job_id)))
            for key in change.refund_keys if change.refund else ():
                # The job left the guarded state in this same transaction, so the change
                # cannot be applied twice; max(..., 0) keeps the ledger from going negative.
                conn.execute(
                    """UPDATE usage SET count = max(count - ?, 0), last_updated = ?
                       WHERE user_id_date = ?""",
                    (change.refund, iso_z(moved.updated_at), key),
                )
            if change.images:
                _count_images(conn, change.owner, change.images)
            if (entry := change.report) is not None:
                _add_to_report(conn, entry)
            if change.event is not None:
                keep_event(conn, change.event)
            return moved


def _count(conn: sqlite3.Connection, key: str) -> int:
    row = conn.execute("SELECT count FROM usage WHERE user_id_date = ?", (key,)).fetchone()
    return int(row["count"]) if row else 0


def _add(conn: sqlite3.Connection, key: str, units: int, now: datetime, expires_at: int) -> None:
    user_id, date = key.split("#", 1)
    conn.execute(
        """INSERT INTO usage (user_id_date, user_id, date, count, last_updated, ttl)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id_date) DO UPDATE SET
             count = count + excluded.count, last_updated = excluded.last_updated,
             ttl = excluded.ttl""",
        (key, user_id, date, units, iso_z(now), expires_at),
    )


def _add_to_report(conn: sqlite3.Connection, entry: ReportEntry) -> None:
    row = conn.execute("SELECT body FROM day_reports WHERE date = ?", (entry.date,)).fetchone()
    day = load_report(row["body"]) if row else DayReport(date=entry.date)
    conn.execute(
        "INSERT OR REPLACE INTO day_reports (date, body, ttl) VALUES (?, ?, ?)",
        (entry.date, dump(day.plus(entry)), entry.expires_at),
    )


def _count_images(conn: sqlite3.Connection, user_id: str, images: int) -> None:
    """Add to the user's totalImagesGenerated; an owner without a record stays without one."""
    row = conn.execute("SELECT body FROM users WHERE user_id = ?", (user_id,)).fetchone()
    if row is not None:
        user = load_user(row["body"])
        total = user.total_images_generated + images
        counted = user.model_copy(update={"total_images_generated": total})
        conn.execute("UPDATE users SET body = ? WHERE user_id = ?", (dump(counted), user_id))


def _live_idempotency(
    conn: sqlite3.Connection, key: str, now: datetime
) -> IdempotencyRecord | None:
    row = conn.execute(
        "SELECT body FROM idempotency WHERE key = ? AND expires_at > ?", (key, iso_z(now))
    ).fetchone()
    return IdempotencyRecord.model_validate(json.loads(row["body"])) if row else None


def _stored_idempotency(conn: sqlite3.Connection, key: str) -> IdempotencyRecord | None:
    """The record under `key`, expired or not (the purge deletes it later either way)."""
    row = conn.execute("SELECT body FROM idempotency WHERE key = ?", (key,)).fetchone()
    return IdempotencyRecord.model_validate(json.loads(row["body"])) if row else None


def _user(conn: sqlite3.Connection, user_id: str) -> User | None:
    row = conn.execute("SELECT body FROM users WHERE user_id = ?", (user_id,)).fetchone()
    return load_user(row["body"]) if row else None
