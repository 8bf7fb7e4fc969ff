"""UnitOfWork and its repositories: every adapter behaves like this."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from profilephoto.domain.errors import ConditionFailed, InvalidRequest, QuotaExceeded
from profilephoto.domain.models import (
    Connection,
    IdempotencyRecord,
    Identity,
    Job,
    JobError,
    JobStatus,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
P, Q, R, C, F = (
    JobStatus.PENDING,
    JobStatus.QUEUED,
    JobStatus.PROCESSING,
    JobStatus.COMPLETED,
    JobStatus.FAILED,
)
USAGE = "alice#2026-11-29"
TTL = int((NOW + timedelta(days=91)).timestamp())


def job(n: int, user: str = "alice", at: datetime = NOW) -> Job:
    return Job(
        job_id=f"job_{n:032x}",
        user_id=user,
        status=P,
        style="professional",
        input_image_url="s3://uploads/uploads/alice/k.jpg",
        prompt="portrait",
        created_at=at,
        updated_at=at,
        quota_date="2026-11-29",
    )


def reserve(uow, n: int, limit: int = 10, user: str = "alice", at: datetime = NOW) -> int:
    return uow.reserve_and_create_job(job(n, user, at), f"{user}#2026-11-29", limit, TTL, at)


def used(uow, key: str = USAGE) -> int:
    record = uow.usage.get(key)
    return record.count if record else 0


# --- users ------------------------------------------------------------------------------


def test_record_login_creates_then_refreshes_the_user(uow):
    first = uow.users.record_login(Identity(user_id="alice", email="a@x.io"), NOW)
    assert (first.user_id, first.email, first.total_images_generated) == ("alice", "a@x.io", 0)
    later = NOW + timedelta(days=1)
    again = uow.users.record_login(Identity(user_id="alice", email="new@x.io"), later)
    assert (again.email, again.created_at, again.last_login_at) == ("new@x.io", NOW, later)
    assert uow.users.get("alice") == again
    assert uow.users.get("nobody") is None


# --- reservation ------------------------------------------------------------------------


def test_reserve_counts_one_unit_and_creates_the_job_pending(uow):
    assert reserve(uow, 1) == 1
    assert reserve(uow, 2) == 2
    assert used(uow) == 2
    record = uow.usage.get(USAGE)
    assert (record.user_id, record.date) == ("alice", "2026-11-29")
    assert uow.jobs.get(job(1).job_id) == job(1)


def test_reserve_at_the_limit_raises_and_writes_nothing(uow):
    reserve(uow, 1, limit=1)
    with pytest.raises(QuotaExceeded):
        reserve(uow, 2, limit=1)
    assert used(uow) == 1
    assert uow.jobs.get(job(2).job_id) is None


def test_a_zero_limit_admits_nothing(uow):
    with pytest.raises(QuotaExceeded):
        reserve(uow, 1, limit=0)
    assert used(uow) == 0


def test_reserving_an_existing_job_id_fails_without_charging(uow):
    reserve(uow, 1)
    with pytest.raises(ConditionFailed):
        reserve(uow, 1)
    assert used(uow) == 1


def test_racing_reservations_at_the_last_unit_admit_exactly_one(uow):
    for n in range(4):
        reserve(uow, n, limit=5)
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        start.wait()
        try:
            reserve(uow, 100 + n, limit=5)
            outcomes.append("ok")
        except QuotaExceeded:
            outcomes.append("quota")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["quota"] * 19
    assert used(uow) == 5


def test_an_idempotency_record_is_stored_with_the_job_and_blocks_a_twin(uow):
    record = IdempotencyRecord(
        key="alice#k", request_hash="h", job_id=job(1).job_id, expires_at=NOW + timedelta(hours=24)
    )
    uow.reserve_and_create_job(job(1), USAGE, 10, TTL, NOW, record)
    assert uow.idempotency.get("alice#k", NOW) == record
    with pytest.raises(ConditionFailed):
        uow.reserve_and_create_job(
            job(2), USAGE, 10, TTL, NOW, record.model_copy(update={"job_id": job(2).job_id})
        )
    assert used(uow) == 1 and uow.jobs.get(job(2).job_id) is None
    assert uow.idempotency.get("alice#k", NOW + timedelta(hours=25)) is None
    assert uow.idempotency.get("alice#other", NOW) is None


# --- transitions ------------------------------------------------------------------------


def test_a_transition_happens_only_from_an_expected_state(uow):
    reserve(uow, 1)
    later = NOW + timedelta(seconds=5)
    moved = uow.jobs.transition(job(1).job_id, frozenset({P}), Q, later)
    assert (moved.status, moved.updated_at) == (Q, later)
    with pytest.raises(ConditionFailed):
        uow.jobs.transition(job(1).job_id, frozenset({P}), Q, later)
    with pytest.raises(ConditionFailed):
        uow.jobs.transition("job_missing", frozenset({P}), Q, later)


def test_a_claim_takes_a_lease_and_counts_an_attempt(uow):
    reserve(uow, 1)
    lease = NOW + timedelta(minutes=5)
    claimed = uow.jobs.transition(
        job(1).job_id,
        frozenset({P, Q, R}),
        R,
        NOW,
        lease_expires_at=lease,
        count_attempt=True,
        require_lease_expired=True,
    )
    assert (claimed.status, claimed.attempts, claimed.lease_expires_at) == (R, 1, lease)
    with pytest.raises(ConditionFailed):  # a twin during the lease
        uow.jobs.transition(
            job(1).job_id,
            frozenset({P, Q, R}),
            R,
            NOW + timedelta(minutes=1),
            lease_expires_at=lease,
            count_attempt=True,
            require_lease_expired=True,
        )
    reclaimed = uow.jobs.transition(
        job(1).job_id,
        frozenset({P, Q, R}),
        R,
        lease,
        lease_expires_at=lease + timedelta(minutes=5),
        count_attempt=True,
        require_lease_expired=True,
    )
    assert reclaimed.attempts == 2


@pytest.mark.parametrize("terminal", ["complete", "fail"])
def test_terminal_jobs_never_move_again(uow, terminal):
    reserve(uow, 1)
    jid = job(1).job_id
    uow.jobs.transition(jid, frozenset({P}), R, NOW)
    if terminal == "complete":
        uow.complete_job(jid, "s3://results/r.png", 1200, {"model": "m"}, NOW)
    else:
        uow.fail_job(jid, frozenset({R}), JobError(code="invalid_image", message="no"), False, NOW)
    for target in (P, Q, R, C, F):
        with pytest.raises(ConditionFailed):
            uow.jobs.transition(jid, frozenset(JobStatus), target, NOW)


# --- the multi-item commits -------------------------------------------------------------


def test_complete_records_the_result_and_counts_the_image_once(uow):
    uow.users.record_login(Identity(user_id="alice"), NOW)
    reserve(uow, 1)
    jid = job(1).job_id
    uow.jobs.transition(jid, frozenset({P}), R, NOW, lease_expires_at=NOW + timedelta(minutes=5))
    meta = {"model": "m", "usage": {"promptTokens": 3}}
    done = uow.complete_job(jid, "s3://results/r.png", 1500, meta, NOW + timedelta(seconds=2))
    assert (done.status, done.output_image_url, done.processing_time) == (
        C,
        "s3://results/r.png",
        1500,
    )
    assert done.metadata == meta
    assert uow.jobs.get(jid) == done
    with pytest.raises(ConditionFailed):
        uow.complete_job(jid, "s3://results/r.png", 1500, meta, NOW)
    assert uow.users.get("alice").total_images_generated == 1


def test_fail_with_refund_gives_the_unit_back_exactly_once(uow):
    reserve(uow, 1)
    reserve(uow, 2)
    error = JobError(code="generation_failed", message="model said no")
    failed = uow.fail_job(job(1).job_id, frozenset({P}), error, True, NOW)
    assert (failed.status, failed.error) == (F, error)
    assert used(uow) == 1
    with pytest.raises(ConditionFailed):
        uow.fail_job(job(1).job_id, frozenset({P, Q, R}), error, True, NOW)
    assert used(uow) == 1


def test_fail_without_refund_keeps_the_charge(uow):
    reserve(uow, 1)
    uow.fail_job(
        job(1).job_id,
        frozenset({P}),
        JobError(code="invalid_image", message="not a photo"),
        False,
        NOW,
    )
    assert used(uow) == 1


def test_a_refund_goes_to_the_day_the_job_was_charged(uow):
    reserve(uow, 1)
    uow.reserve_and_create_job(job(2), "alice#2026-11-30", 10, TTL, NOW + timedelta(days=1))
    uow.fail_job(
        job(1).job_id,
        frozenset({P}),
        JobError(code="timed_out", message="late"),
        True,
        NOW + timedelta(days=1),
    )
    assert (used(uow), used(uow, "alice#2026-11-30")) == (0, 1)


# --- queries ----------------------------------------------------------------------------


def test_jobs_are_listed_newest_first_in_pages_with_an_opaque_token(uow):
    for n in range(5):
        reserve(uow, n, at=NOW + timedelta(seconds=n))
    reserve(uow, 99, user="bob")
    first = uow.jobs.list_for_user("alice", 2, None)
    assert [j.job_id for j in first.items] == [job(4).job_id, job(3).job_id]
    second = uow.jobs.list_for_user("alice", 2, first.next_token)
    third = uow.jobs.list_for_user("alice", 2, second.next_token)
    assert [j.job_id for j in second.items + third.items] == [
        job(2).job_id,
        job(1).job_id,
        job(0).job_id,
    ]
    assert third.next_token is None


@pytest.mark.parametrize("token", ["garbage", "eyJ4IjoxfQ", "%%%", "x" * 5000])
def test_a_token_the_api_did_not_issue_is_invalid(uow, token):
    with pytest.raises(InvalidRequest):
        uow.jobs.list_for_user("alice", 2, token)


def test_a_token_issued_to_another_user_is_invalid(uow):
    for n in range(3):
        reserve(uow, n, user="bob", at=NOW + timedelta(seconds=n))
    token = uow.jobs.list_for_user("bob", 1, None).next_token
    with pytest.raises(InvalidRequest):
        uow.jobs.list_for_user("alice", 1, token)


def test_stuck_jobs_are_found_by_status_and_age_oldest_first(uow):
    reserve(uow, 1, at=NOW)
    reserve(uow, 2, at=NOW + timedelta(minutes=1))
    reserve(uow, 3, at=NOW + timedelta(hours=1))
    uow.jobs.transition(job(2).job_id, frozenset({P}), Q, NOW + timedelta(minutes=1))
    found = uow.jobs.list_stuck(P, NOW + timedelta(minutes=30), 10)
    assert [j.job_id for j in found] == [job(1).job_id]
    assert [j.job_id for j in uow.jobs.list_stuck(Q, NOW + timedelta(minutes=30), 10)] == [
        job(2).job_id
    ]


# --- connections ------------------------------------------------------------------------


def test_connections_are_added_listed_per_user_and_removed(uow):
    a1 = Connection(connection_id="c1", user_id="alice", connected_at=NOW, ttl=TTL)
    a2 = Connection(connection_id="c2", user_id="alice", connected_at=NOW, ttl=TTL)
    b1 = Connection(connection_id="c3", user_id="bob", connected_at=NOW, ttl=TTL)
    for c in (a1, a2, b1):
        uow.connections.add(c)
    assert sorted(c.connection_id for c in uow.connections.list_for_user("alice")) == ["c1", "c2"]
    uow.connections.remove("c1")
    uow.connections.remove("c1")
    assert [c.connection_id for c in uow.connections.list_for_user("alice")] == ["c2"]


def test_a_deleted_job_is_gone_from_reads_and_lists_and_deleting_twice_is_fine(uow):
    reserve(uow, 1)
    reserve(uow, 2, at=NOW + timedelta(seconds=1))
    uow.jobs.delete(job(1).job_id)
    uow.jobs.delete(job(1).job_id)
    uow.jobs.delete("job_never_existed")
    assert uow.jobs.get(job(1).job_id) is None
    assert [j.job_id for j in uow.jobs.list_for_user("alice", 10, None).items] == [job(2).job_id]
    assert used(uow) == 2  # the charge is history, not the record


def test_a_transition_that_names_attributes_happens_only_when_they_all_match(uow):
    reserve(uow, 1)
    jid = job(1).job_id
    for wrong in (
        {"userId": "mallory"},
        {"style": "casual"},
        {"userId": "alice", "inputImageUrl": "s3://uploads/elsewhere.jpg"},
    ):
        with pytest.raises(ConditionFailed):
            uow.jobs.transition(jid, frozenset({P}), R, NOW, match=wrong)
        assert uow.jobs.get(jid).status is P
    moved = uow.jobs.transition(
        jid,
        frozenset({P}),
        R,
        NOW,
        match={
            "userId": "alice",
            "style": "professional",
            "inputImageUrl": "s3://uploads/uploads/alice/k.jpg",
        },
    )
    assert moved.status is R
