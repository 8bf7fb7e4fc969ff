"""Dicts behind one lock: the repositories and atomic commits of the unit of work."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from profilephoto.adapters.memory.faults import FaultInjector
from profilephoto.domain.errors import ConditionFailed
from profilephoto.domain.job_deletion import JobDeletion
from profilephoto.domain.job_lifecycle import JobChange
from profilephoto.domain.models import (
    Connection,
    IdempotencyRecord,
    Identity,
    Job,
    JobPage,
    JobStatus,
    UsageRecord,
    User,
)
from profilephoto.domain.pagination import decode_cursor, encode_cursor
from profilephoto.domain.report import DayReport
from profilephoto.domain.reservation import Reservation
from profilephoto.domain.webhooks import WebhookEvent

_CURSOR_KEYS = frozenset({"userId", "createdAt", "jobId"})


class InMemoryUnitOfWork(FaultInjector):
    """Every method takes the one lock, so each commit is atomic and isolated."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.user_records: dict[str, User] = {}
        self.usage_records: dict[str, UsageRecord] = {}
        self.usage_ttl: dict[str, int] = {}
        self.job_records: dict[str, Job] = {}
        self.connection_records: dict[str, Connection] = {}
        self.idempotency_records: dict[str, IdempotencyRecord] = {}
        self.personal_limits: dict[str, int] = {}
        self.day_reports: dict[str, DayReport] = {}
        self.unsent_events: dict[str, WebhookEvent] = {}
        self.users = _Users(self)
        self.usage = _Usage(self)
        self.jobs = _Jobs(self)
        self.connections = _Connections(self)
        self.idempotency = _Idempotency(self)
        self.unsent_webhooks = _UnsentWebhooks(self)

    def reserve_and_create_job(self, reservation: Reservation) -> int:
        self._maybe_fail("reserve_and_create_job")
        r, job, capacity = reservation, reservation.job, reservation.capacity
        with self.lock:
            count = self._count(r.usage_key)
            r.check(
                job_exists=job.job_id in self.job_records,
                live=self.idempotency.get(r.idempotency.key, r.now) if r.idempotency else None,
                used=count,
                capacity_used=self._count(capacity.key) if capacity else 0,
                owner=self.user_records.get(job.user_id),
            )
            self._add(r.usage_key, r.units, r.now, r.expires_at)
            if capacity is not None:
                self._add(capacity.key, r.units, r.now, capacity.expires_at)
            self.job_records[job.job_id] = job
            if r.idempotency is not None:
                self.idempotency_records[r.idempotency.key] = r.idempotency
            return count + r.units

    def _count(self, key: str) -> int:
        current = self.usage_records.get(key)
        return current.count if current else 0

    def _add(self, key: str, units: int, now: datetime, expires_at: int) -> None:
        user_id, date = key.split("#", 1)
        self.usage_records[key] = UsageRecord(
            user_id_date=key,
            user_id=user_id,
            date=date,
            count=self._count(key) + units,
            last_updated=now,
        )
        self.usage_ttl[key] = expires_at

    def delete_job(self, deletion: JobDeletion) -> None:
        self._maybe_fail("job_delete")
        with self.lock:
            key = deletion.idempotency_key
            if key is not None and deletion.forgets(self.idempotency_records.get(key)):
                del self.idempotency_records[key]
            self.job_records.pop(deletion.job_id, None)

    def apply(self, change: JobChange) -> Job:
        self._maybe_fail(change.name)
        with self.lock:
            moved = change.applied_to(self.jobs.require(change.job_id))
            self.job_records[moved.job_id] = moved
            for key in change.refund_keys if change.refund else ():
                record = self.usage_records.get(key)
                if record is not None:
                    self.usage_records[key] = record.model_copy(
                        update={
                            "count": max(0, record.count - change.refund),
                            "last_updated": moved.updated_at,
                        }
                    )
            if (entry := change.report) is not None:
                day = self.day_reports.get(entry.date) or DayReport(date=entry.date)
                self.day_reports[entry.date] = day.plus(entry)
            user = self.user_records.get(change.owner) if change.images else None
            if user is not None:
                self.user_records[user.user_id] = user.model_copy(
                    update={"total_images_generated": user.total_images_generated + change.images}
                )
            if change.event is not None:
                self.unsent_events[change.event.id] = change.event
            return moved


class _Part:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow


class _Users(_Part):
    def get(self, user_id: str) -> User | None:
        with self._uow.lock:
            return self._uow.user_records.get(user_id)

    def record_login(self, identity: Identity, now: datetime) -> User:
        self._uow._maybe_fail("record_login")
        with self._uow.lock:
            known = self._uow.user_records.get(identity.user_id)
            claims: dict[str, Any] = {
                k: v for k, v in identity.model_dump().items() if v is not None
            }
            user = (
                known.model_copy(update={**claims, "last_login_at": now})
                if known
                else User(
                    **claims,
                    created_at=now,
                    last_login_at=now,
                    daily_limit=self._uow.personal_limits.get(identity.user_id),
                )
            )
            self._uow.user_records[identity.user_id] = user
            return user

    def put(self, user: User) -> None:
        """Store a user as given (tests and admin tools set `daily_limit` this way)."""
        with self._uow.lock:
            self._uow.user_records[user.user_id] = user

    def mark_deleting(self, user_id: str, until: datetime, now: datetime) -> None:
        self._uow._maybe_fail("users_mark_deleting")
        with self._uow.lock:
            known = self._uow.user_records.get(user_id)
            self._uow.user_records[user_id] = (
                known.model_copy(update={"deleting_until": until})
                if known
                else User(user_id=user_id, created_at=now, last_login_at=now, deleting_until=until)
            )

    def set_daily_limit(self, user_id: str, limit: int, now: datetime) -> User:
        with self._uow.lock:
            known = self._uow.user_records.get(user_id)
            user = (
                known.model_copy(update={"daily_limit": limit})
                if known
                else User(user_id=user_id, daily_limit=limit, created_at=now, last_login_at=now)
            )
            self._uow.user_records[user_id] = user
            self._uow.personal_limits[user_id] = limit
            return user

    def delete(self, user_id: str) -> None:
        self._uow._maybe_fail("users_delete")
        with self._uow.lock:
            self._uow.user_records.pop(user_id, None)


class _Usage(_Part):
    def get(self, key: str) -> UsageRecord | None:
        self._uow._maybe_fail("usage_get")
        with self._uow.lock:
            return self._uow.usage_records.get(key)

    def personal_limit(self, user_id: str) -> int | None:
        with self._uow.lock:
            return self._uow.personal_limits.get(user_id)

    def report(self, date: str) -> DayReport | None:
        with self._uow.lock:
            return self._uow.day_reports.get(date)


class _Jobs(_Part):
    def get(self, job_id: str) -> Job | None:
        self._uow._maybe_fail("job_get")
        with self._uow.lock:
            return self._uow.job_records.get(job_id)

    def require(self, job_id: str) -> Job:
        job = self._uow.job_records.get(job_id)
        if job is None:
            raise ConditionFailed(f"no job {job_id}")
        return job

    def delete(self, job_id: str) -> None:
        self._uow._maybe_fail("job_delete")
        with self._uow.lock:
            self._uow.job_records.pop(job_id, None)

    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> JobPage:
        after = decode_cursor(cursor, _CURSOR_KEYS, user_id) if cursor else None
        with self._uow.lock:
            mine = [j for j in self._uow.job_records.values() if j.user_id == user_id]
        mine.sort(key=lambda j: (j.created_at, j.job_id), reverse=True)
        if after is not None:
            position = (after["createdAt"], after["jobId"])
            mine = [j for j in mine if (_stamp(j), j.job_id) < position]
        page = mine[:limit]
        more = len(mine) > limit
        token = (
            encode_cursor(
                {"userId": user_id, "createdAt": _stamp(page[-1]), "jobId": page[-1].job_id}
            )
            if more
            else None
        )
        return JobPage(items=page, next_token=token)

    def list_created(self, status: JobStatus, start: datetime, end: datetime) -> list[Job]:
        with self._uow.lock:
            found = [
                j
                for j in self._uow.job_records.values()
                if j.status is status and start <= j.created_at < end
            ]
        return sorted(found, key=lambda j: j.created_at)

    def list_created_before(
        self, status: JobStatus, created_before: datetime, limit: int
    ) -> list[Job]:
        with self._uow.lock:
            found = [
                j
                for j in self._uow.job_records.values()
                if j.status is status and j.created_at < created_before
            ]
        return sorted(found, key=lambda j: j.created_at)[:limit]


def _stamp(job: Job) -> str:
    return str(job.to_json_dict()["createdAt"])


class _Connections(_Part):
    def add(self, connection: Connection) -> None:
        with self._uow.lock:
            self._uow.connection_records[connection.connection_id] = connection

    def remove(self, connection_id: str) -> None:
        with self._uow.lock:
            self._uow.connection_records.pop(connection_id, None)

    def list_for_user(self, user_id: str) -> list[Connection]:
        with self._uow.lock:
            return [c for c in self._uow.connection_records.values() if c.user_id == user_id]


class _Idempotency(_Part):
    def get(self, key: str, now: datetime) -> IdempotencyRecord | None:
        with self._uow.lock:
            record = self._uow.idempotency_records.get(key)
        if record is None or record.expires_at <= now:
            return None
        return record

    def delete(self, key: str) -> None:
        with self._uow.lock:
            self._uow.idempotency_records.pop(key, None)


class _UnsentWebhooks(_Part):
    def older_than(self, moment: datetime, limit: int) -> list[WebhookEvent]:
        self._uow._maybe_fail("unsent_older_than")
        with self._uow.lock:
            found = [e for e in self._uow.unsent_events.values() if e.occurred_at < moment]
        return sorted(found, key=lambda e: (e.occurred_at, e.id))[:limit]

    def remove(self, event_id: str) -> None:
        self._uow._maybe_fail("unsent_remove")
        with self._uow.lock:
            self._uow.unsent_events.pop(event_id, None)
