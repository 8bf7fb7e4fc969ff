"""The SQLite unit of work beyond the contract: durability, WAL, separate openers, errors."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
from profilephoto.domain.errors import QuotaExceeded, ServiceUnavailable
from profilephoto.domain.job_lifecycle import mark_queued
from profilephoto.domain.models import Identity, Job, JobMessage, JobStatus
from profilephoto.domain.reservation import Reservation
from tests.jobs import make_job

NOW = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)
TTL = int((NOW + timedelta(days=91)).timestamp())


def job(n: int) -> Job:
    return make_job(n, at=NOW, input_image_url="local://uploads/uploads/alice/k.jpg")


def test_everything_committed_survives_closing_and_reopening_the_file(tmp_path):
    path = tmp_path / "db.sqlite3"
    first = SqliteUnitOfWork(path)
    first.users.record_login(Identity(user_id="alice", email="a@x.io"), NOW)
    first.reserve_and_create_job(Reservation(job(1), "alice#2026-11-29", 10, TTL, NOW))
    first.close()
    second = SqliteUnitOfWork(path)
    assert second.users.get("alice").email == "a@x.io"
    assert second.usage.get("alice#2026-11-29").count == 1
    assert second.jobs.get(job(1).job_id).status is JobStatus.PENDING
    second.close()


def test_what_a_commit_returns_is_what_a_read_returns(tmp_path):
    uow = SqliteUnitOfWork(tmp_path / "db.sqlite3")
    uow.reserve_and_create_job(Reservation(job(1), "alice#2026-11-29", 10, TTL, NOW))
    moved = uow.apply(mark_queued(job(1), NOW))
    assert uow.jobs.get(job(1).job_id) == moved  # timestamps kept to the millisecond
    uow.close()


def test_the_database_is_in_wal_mode(tmp_path):
    uow = SqliteUnitOfWork(tmp_path / "db.sqlite3")
    uow.usage.get("x")
    mode = sqlite3.connect(tmp_path / "db.sqlite3").execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)
    uow.close()


def test_two_openers_of_one_file_still_admit_exactly_one_at_the_limit(tmp_path):
    path = tmp_path / "db.sqlite3"
    openers = [SqliteUnitOfWork(path), SqliteUnitOfWork(path)]
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        start.wait()
        try:
            openers[n % 2].reserve_and_create_job(
                Reservation(job(n), "alice#2026-11-29", 1, TTL, NOW)
            )
            outcomes.append("ok")
        except QuotaExceeded:
            outcomes.append("quota")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["quota"] * 9
    for uow in openers:
        uow.close()


def test_an_opener_of_a_fresh_file_waits_for_another_process_writing_to_it(tmp_path):
    # Another process (here: a plain connection) writes to the fresh, not yet WAL file.
    # Switching to WAL then fails at once with "database is locked", busy_timeout or not,
    # which is what two `profilephoto` processes sharing one new data directory meet.
    path = tmp_path / "db.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE elsewhere (n INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO elsewhere VALUES (1)")
    finish = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    finish.start()
    uow = SqliteUnitOfWork(path, busy_timeout=30)
    try:
        uow.reserve_and_create_job(Reservation(job(1), "alice#2026-11-29", 10, TTL, NOW))
        assert uow.usage.get("alice#2026-11-29").count == 1
    finally:
        finish.join()
        other.close()
        uow.close()
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)


def test_a_locked_database_is_service_unavailable_and_writes_nothing(tmp_path):
    path = tmp_path / "db.sqlite3"
    uow = SqliteUnitOfWork(path, busy_timeout=0.05)
    uow.usage.get("x")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(ServiceUnavailable):
        uow.reserve_and_create_job(Reservation(job(1), "alice#2026-11-29", 10, TTL, NOW))
    holder.execute("ROLLBACK")
    assert uow.jobs.get(job(1).job_id) is None
    uow.close()


def test_the_queue_and_the_unit_of_work_may_share_one_file(tmp_path: Path):
    path = tmp_path / "profilephoto.sqlite3"
    uow, queue = SqliteUnitOfWork(path), SqliteJobQueue(path)
    uow.reserve_and_create_job(Reservation(job(1), "alice#2026-11-29", 10, TTL, NOW))
    queue.send(JobMessage(job_id=job(1).job_id, user_id="alice", file_key="k", style="anime"))
    assert [m.body.job_id for m in queue.receive(1)] == [job(1).job_id]
    uow.close()
    queue.close()


def test_expired_usage_connections_and_idempotency_rows_are_purged_like_dynamodb_ttl(tmp_path):
    from datetime import UTC, datetime, timedelta

    from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
    from profilephoto.domain.models import Connection, IdempotencyRecord, Job, JobStatus

    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    uow = SqliteUnitOfWork(tmp_path / "pp.db")
    job = Job(
        job_id="job_" + "1" * 32,
        user_id="alice",
        status=JobStatus.PENDING,
        style="casual",
        input_image_url="local://uploads/k",
        prompt="p",
        created_at=now,
        updated_at=now,
        quota_date="2026-11-29",
    )
    record = IdempotencyRecord(
        key="alice#k", request_hash="h", job_id=job.job_id, expires_at=now + timedelta(hours=24)
    )
    usage_ttl = int((now + timedelta(days=90)).timestamp())
    uow.reserve_and_create_job(Reservation(job, "alice#2026-11-29", 10, usage_ttl, now, record))
    uow.connections.add(
        Connection(
            connection_id="c1",
            user_id="alice",
            connected_at=now,
            ttl=int((now + timedelta(hours=2)).timestamp()),
        )
    )

    assert uow.purge_expired(now) == 0
    assert uow.purge_expired(now + timedelta(days=1)) == 2  # the socket and the key
    assert uow.connections.list_for_user("alice") == []
    assert uow.usage.get("alice#2026-11-29").count == 1
    assert uow.purge_expired(now + timedelta(days=91)) == 1
    assert uow.usage.get("alice#2026-11-29") is None
    assert uow.jobs.get(job.job_id) == job  # jobs are kept, as on AWS


def test_an_unsent_webhook_event_is_purged_when_its_delivery_window_ends_like_dynamodb_ttl(
    tmp_path,
):
    from profilephoto.domain.job_lifecycle import cancel
    from profilephoto.domain.models import Webhook
    from profilephoto.domain.webhooks import DELIVERY_WINDOW

    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    uow = SqliteUnitOfWork(tmp_path / "pp.db")
    hooked = make_job(1, at=now).model_copy(update={"webhook": Webhook(url="https://h.example/")})
    ttl = int((now + timedelta(days=90)).timestamp())
    uow.reserve_and_create_job(Reservation(hooked, "alice#2026-11-29", 10, ttl, now))
    uow.apply(cancel(hooked, now))

    assert uow.purge_expired(now + DELIVERY_WINDOW) == 0
    assert len(uow.unsent_webhooks.older_than(now + DELIVERY_WINDOW * 2, 10)) == 1
    assert uow.purge_expired(now + DELIVERY_WINDOW + timedelta(seconds=1)) == 1
    assert uow.unsent_webhooks.older_than(now + DELIVERY_WINDOW * 2, 10) == []
    uow.close()
