"""The SQLite repositories: users, usage, jobs, connections and idempotency records."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from profilephoto.adapters.local.sqlite_db import SqliteDatabase
from profilephoto.domain.errors import ConditionFailed
from profilephoto.domain.models import (
    Connection,
    IdempotencyRecord,
    Identity,
    Job,
    JobPage,
    JobStatus,
    Model,
    UsageRecord,
    User,
    iso_z,
)
from profilephoto.domain.pagination import decode_cursor, encode_cursor
from profilephoto.domain.report import DayReport

_CURSOR_KEYS = frozenset({"userId", "createdAt", "jobId"})


def dump(item: Model) -> str:
    return json.dumps(item.to_json_dict(), separators=(",", ":"))


def load_job(body: str) -> Job:
    return Job.model_validate(json.loads(body))


def load_report(body: str) -> DayReport:
    return DayReport.model_validate(json.loads(body))


def load_user(body: str) -> User:
    return User.model_validate(json.loads(body))


def require_job(conn: sqlite3.Connection, job_id: str) -> Job:
    row = conn.execute("SELECT body FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None:
        raise ConditionFailed(f"no job {job_id}")
    return load_job(row["body"])


def store_job(conn: sqlite3.Connection, job: Job) -> Job:
    """Overwrite the job's row; returns the job as it reads back (timestamps in ms)."""
    body = dump(job)
    conn.execute(
        "UPDATE jobs SET status = ?, body = ? WHERE job_id = ?",
        (job.status.value, body, job.job_id),
    )
    return load_job(body)


class _Repository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db


class SqliteUserRepository(_Repository):
    def get(self, user_id: str) -> User | None:
        rows = self._db.query("SELECT body FROM users WHERE user_id = ?", (user_id,))
        return load_user(rows[0]["body"]) if rows else None

    def record_login(self, identity: Identity, now: datetime) -> User:
        claims: dict[str, Any] = {k: v for k, v in identity.model_dump().items() if v is not None}
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT body FROM users WHERE user_id = ?", (identity.user_id,)
            ).fetchone()
            user = (
                load_user(row["body"]).model_copy(update={**claims, "last_login_at": now})
                if row
                else User(
                    **claims,
                    created_at=now,
                    last_login_at=now,
                    daily_limit=_personal_limit(conn, identity.user_id),
                )
            )
            body = dump(user)
            conn.execute(
                "INSERT OR REPLACE INTO users (user_id, body) VALUES (?, ?)",
                (identity.user_id, body),
            )
        return load_user(body)

    def put(self, user: User) -> None:
        """Store a user as given (tests and admin tools set `daily_limit` this way)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO users (user_id, body) VALUES (?, ?)",
                (user.user_id, dump(user)),
            )

    def mark_deleting(self, user_id: str, until: datetime, now: datetime) -> None:
        with self._db.transaction() as conn:
            row = conn.execute("SELECT body FROM users WHERE user_id = ?", (user_id,)).fetchone()
            user = (
                load_user(row["body"]).model_copy(update={"deleting_until": until})
                if row
                else User(user_id=user_id, created_at=now, last_login_at=now, deleting_until=until)
            )
            conn.execute(
                "INSERT OR REPLACE INTO users (user_id, body) VALUES (?, ?)", (user_id, dump(user))
            )

    def set_daily_limit(self, user_id: str, limit: int, now: datetime) -> User:
        with self._db.transaction() as conn:
            row = conn.execute("SELECT body FROM users WHERE user_id = ?", (user_id,)).fetchone()
            user = (
                load_user(row["body"]).model_copy(update={"daily_limit": limit})
                if row
                else User(user_id=user_id, daily_limit=limit, created_at=now, last_login_at=now)
            )
            body = dump(user)
            conn.execute(
                "INSERT OR REPLACE INTO users (user_id, body) VALUES (?, ?)", (user_id, body)
            )
            conn.execute(
                "INSERT OR REPLACE INTO personal_limits (user_id, daily_limit) VALUES (?, ?)",
                (user_id, limit),
            )
        return load_user(body)

    def delete(self, user_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,))


class SqliteUsageLedger(_Repository):
    def get(self, key: str) -> UsageRecord | None:
        rows = self._db.query(
            "SELECT user_id_date, user_id, date, count, last_updated FROM usage "
            "WHERE user_id_date = ?",
            (key,),
        )
        if not rows:
            return None
        row = rows[0]
        return UsageRecord(
            user_id_date=row["user_id_date"],
            user_id=row["user_id"],
            date=row["date"],
            count=row["count"],
            last_updated=row["last_updated"],
        )

    def personal_limit(self, user_id: str) -> int | None:
        with self._db.translated():
            return _personal_limit(self._db.connection(), user_id)

    def report(self, date: str) -> DayReport | None:
        rows = self._db.query("SELECT body FROM day_reports WHERE date = ?", (date,))
        return load_report(rows[0]["body"]) if rows else None


def _personal_limit(conn: sqlite3.Connection, user_id: str) -> int | None:
    row = conn.execute(
        "SELECT daily_limit FROM personal_limits WHERE user_id = ?", (user_id,)
    ).fetchone()
    return int(row["daily_limit"]) if row else None


class SqliteJobRepository(_Repository):
    def get(self, job_id: str) -> Job | None:
        rows = self._db.query("SELECT body FROM jobs WHERE job_id = ?", (job_id,))
        return load_job(rows[0]["body"]) if rows else None

    def delete(self, job_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))

    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> JobPage:
        after = decode_cursor(cursor, _CURSOR_KEYS, user_id) if cursor else None
        # One row more than asked tells whether another page exists.
        if after is None:
            rows = self._db.query(
                "SELECT body FROM jobs WHERE user_id = ? "
                "ORDER BY created_at DESC, job_id DESC LIMIT ?",
                (user_id, limit + 1),
            )
        else:
            rows = self._db.query(
                "SELECT body FROM jobs WHERE user_id = ? AND (created_at, job_id) < (?, ?) "
                "ORDER BY created_at DESC, job_id DESC LIMIT ?",
                (user_id, after["createdAt"], after["jobId"], limit + 1),
            )
        found = [load_job(row["body"]) for row in rows]
        page = found[:limit]
        token = (
            encode_cursor(
                {
                    "userId": user_id,
                    "createdAt": iso_z(page[-1].created_at),
                    "jobId": page[-1].job_id,
                }
            )
            if len(found) > limit
            else None
        )
        return JobPage(items=page, next_token=token)

    def list_created(self, status: JobStatus, start: datetime, end: datetime) -> list[Job]:
        rows = self._db.query(
            "SELECT body FROM jobs WHERE status = ? AND created_at >= ? AND created_at < ? "
            "ORDER BY created_at",
            (status.value, iso_z(start), iso_z(end)),
        )
        return [load_job(row["body"]) for row in rows]

    def list_created_before(
        self, status: JobStatus, created_before: datetime, limit: int
    ) -> list[Job]:
        rows = self._db.query(
            "SELECT body FROM jobs WHERE status = ? AND created_at < ? ORDER BY created_at LIMIT ?",
            (status.value, iso_z(created_before), limit),
        )
        return [load_job(row["body"]) for row in rows]


class SqliteConnectionRepository(_Repository):
    def add(self, connection: Connection) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO connections (connection_id, user_id, body) "
                "VALUES (?, ?, ?)",
                (connection.connection_id, connection.user_id, dump(connection)),
            )

    def remove(self, connection_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM connections WHERE connection_id = ?", (connection_id,))

    def list_for_user(self, user_id: str) -> list[Connection]:
        rows = self._db.query("SELECT body FROM connections WHERE user_id = ?", (user_id,))
        return [Connection.model_validate(json.loads(row["body"])) for row in rows]


class SqliteIdempotencyStore(_Repository):
    def get(self, key: str, now: datetime) -> IdempotencyRecord | None:
        rows = self._db.query(
            "SELECT body FROM idempotency WHERE key = ? AND expires_at > ?", (key, iso_z(now))
        )
        return IdempotencyRecord.model_validate(json.loads(rows[0]["body"])) if rows else None

    def delete(self, key: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM idempotency WHERE key = ?", (key,))
