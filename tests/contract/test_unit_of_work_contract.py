"""UnitOfWork and its repositories: every adapter behaves like this."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from profilephoto.domain.errors import (
    CapacityExhausted,
    ConditionFailed,
    InvalidRequest,
    QuotaExceeded,
)
from profilephoto.domain.job_deletion import JobDeletion
from profilephoto.domain.job_lifecycle import (
    Describes,
    claim,
    complete,
    fail,
    give_up,
    mark_queued,
    release_lease,
)
from profilephoto.domain.models import (
    CapacityReservation,
    Connection,
    IdempotencyRecord,
    Identity,
    Job,
    JobError,
    JobStatus,
)
from profilephoto.domain.reservation import Reservation
from tests.jobs import NOW, claim_of, make_job

USAGE = "alice#2026-11-29"
TTL = int((NOW + timedelta(days=91)).timestamp())
LEASE = NOW + timedelta(minutes=5)
TIMED_OUT = JobError(code="timed_out", message="did not finish")
REFUNDED = JobError(code="generation_failed", message="model said no")
KEPT = JobError(code="invalid_image", message="not a photo")


def job(n: int, user: str = "alice", at: datetime = NOW) -> Job:
    return make_job(n, user=user, at=at)


def reserve(uow, n: int, limit: int = 10, user: str = "alice", at: datetime = NOW) -> int:
    return uow.reserve_and_create_job(
        Reservation(job(n, user, at), f"{user}#2026-11-29", limit, TTL, at)
    )


def used(uow, key: str = USAGE) -> int:
    record = uow.usage.get(key)
    return record.count if record else 0


def race(threads: int, attempt: Callable[[int], object], refused: type[Exception]) -> list[str]:
    """Run `attempt(n)` for n in range(threads) all at once; "ok" or the refusal's name each."""
    start = threading.Barrier(threads)
    outcomes: list[str] = []

    def run(n: int) -> None:
        start.wait()
        try:
            attempt(n)
            outcomes.append("ok")
        except refused as error:
            outcomes.append(type(error).__name__)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


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
    outcomes = race(20, lambda n: reserve(uow, 100 + n, limit=5), QuotaExceeded)
    assert sorted(outcomes) == ["QuotaExceeded"] * 19 + ["ok"]
    assert used(uow) == 5


def test_an_idempotency_record_is_stored_with_the_job_and_blocks_a_twin(uow):
    record = IdempotencyRecord(
        key="alice#k", request_hash="h", job_id=job(1).job_id, expires_at=NOW + timedelta(hours=24)
    )
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW, record))
    assert uow.idempotency.get("alice#k", NOW) == record
    with pytest.raises(ConditionFailed):
        uow.reserve_and_create_job(
            Reservation(
                job(2), USAGE, 10, TTL, NOW, record.model_copy(update={"job_id": job(2).job_id})
            )
        )
    assert used(uow) == 1 and uow.jobs.get(job(2).job_id) is None
    assert uow.idempotency.get("alice#k", NOW + timedelta(hours=25)) is None
    assert uow.idempotency.get("alice#other", NOW) is None


def test_a_record_whose_job_failed_is_taken_over_only_by_naming_that_job(uow):
    record = IdempotencyRecord(
        key="alice#k", request_hash="h", job_id=job(1).job_id, expires_at=NOW + timedelta(hours=24)
    )
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW, record))
    retry = record.model_copy(update={"job_id": job(2).job_id})
    with pytest.raises(ConditionFailed):  # it names a job the record does not name
        uow.reserve_and_create_job(
            Reservation(job(2), USAGE, 10, TTL, NOW, retry, replaces=job(9).job_id)
        )
    assert used(uow) == 1 and uow.jobs.get(job(2).job_id) is None
    uow.reserve_and_create_job(
        Reservation(job(2), USAGE, 10, TTL, NOW, retry, replaces=job(1).job_id)
    )
    assert uow.idempotency.get("alice#k", NOW) == retry
    assert used(uow) == 2
    # A twin retrying the same takeover finds the record moved on: nothing written.
    twin = record.model_copy(update={"job_id": job(3).job_id})
    with pytest.raises(ConditionFailed):
        uow.reserve_and_create_job(
            Reservation(job(3), USAGE, 10, TTL, NOW, twin, replaces=job(1).job_id)
        )
    assert used(uow) == 2 and uow.jobs.get(job(3).job_id) is None


# --- job changes -------------------------------------------------------------------------


def claimed(uow, n: int = 1) -> Job:
    reserve(uow, n)
    return uow.apply(claim_of(job(n), NOW, LEASE))


def test_a_change_applies_only_while_the_job_is_as_the_domain_read_it(uow):
    reserve(uow, 1)
    later = NOW + timedelta(seconds=5)
    queued = uow.apply(mark_queued(job(1), later))
    assert (queued.status, queued.updated_at) == (JobStatus.QUEUED, later)
    assert uow.jobs.get(job(1).job_id) == queued
    with pytest.raises(ConditionFailed):  # decided from the pending job it no longer is
        uow.apply(mark_queued(job(1), later))
    with pytest.raises(ConditionFailed):
        uow.apply(mark_queued(job(2), later))  # no such job


def test_a_claim_takes_a_lease_and_counts_an_attempt(uow):
    claimed_job = claimed(uow)
    assert (claimed_job.status, claimed_job.attempts, claimed_job.lease_expires_at) == (
        JobStatus.PROCESSING,
        1,
        LEASE,
    )
    with pytest.raises(ConditionFailed):  # a twin during the lease
        uow.apply(claim_of(job(1), NOW + timedelta(minutes=1), LEASE))
    reclaimed = uow.apply(claim_of(job(1), LEASE, LEASE + timedelta(minutes=5)))
    assert (reclaimed.attempts, reclaimed.lease_expires_at) == (2, LEASE + timedelta(minutes=5))


@pytest.mark.parametrize(
    "disagreeing",
    [
        Describes(user_id="mallory", style="professional", input_image_url=job(1).input_image_url),
        Describes(user_id="alice", style="casual", input_image_url=job(1).input_image_url),
        Describes(user_id="alice", style="professional", input_image_url="s3://uploads/x.jpg"),
    ],
)
def test_a_claim_for_a_message_that_disagrees_with_the_record_writes_nothing(uow, disagreeing):
    reserve(uow, 1)
    with pytest.raises(ConditionFailed):
        uow.apply(claim(job(1).job_id, disagreeing, NOW, LEASE))
    assert uow.jobs.get(job(1).job_id) == job(1)


def test_a_job_is_handed_back_only_while_the_lease_is_still_the_workers_own(uow):
    first = claimed(uow)
    handed = uow.apply(release_lease(first, NOW + timedelta(seconds=1)))
    assert (handed.status, handed.lease_expires_at) == (
        JobStatus.PROCESSING,
        NOW + timedelta(seconds=1),
    )
    late = LEASE + timedelta(minutes=1)
    successor = uow.apply(claim_of(job(1), late, late + timedelta(minutes=5)))
    with pytest.raises(ConditionFailed):  # the first worker outlived its lease
        uow.apply(release_lease(first, late))
    assert uow.jobs.get(job(1).job_id) == successor


def test_a_give_up_applies_only_while_no_worker_claimed_the_job_since_it_was_read(uow):
    first = claimed(uow)
    read = uow.jobs.get(job(1).job_id)  # the sweep reads it after the lease ran out
    late = LEASE + timedelta(minutes=1)
    successor = uow.apply(claim_of(job(1), late, late + timedelta(minutes=5)))
    assert successor.status is read.status is JobStatus.PROCESSING
    with pytest.raises(ConditionFailed):
        uow.apply(give_up(read, TIMED_OUT, late))
    assert uow.jobs.get(job(1).job_id) == successor and used(uow) == 1
    # Read again, unclaimed since: the give-up applies and refunds.
    gone = uow.apply(give_up(successor, TIMED_OUT, late + timedelta(minutes=6)))
    assert (gone.status, used(uow)) == (JobStatus.FAILED, 0)
    assert first.lease_expires_at != successor.lease_expires_at


def test_a_give_up_of_a_queued_job_is_refused_once_a_worker_claimed_it(uow):
    reserve(uow, 1)
    queued = uow.apply(mark_queued(job(1), NOW))
    uow.apply(claim_of(job(1), NOW, LEASE))
    with pytest.raises(ConditionFailed):
        uow.apply(give_up(queued, TIMED_OUT, NOW))
    assert used(uow) == 1


@pytest.mark.parametrize("terminal", ["complete", "fail"])
def test_a_finished_job_never_moves_again(uow, terminal):
    processing = claimed(uow)
    if terminal == "complete":
        uow.apply(complete(processing, ["s3://results/r.png"], 1200, {"model": "m"}, NOW))
    else:
        uow.apply(fail(processing, KEPT, NOW))
    finished = uow.jobs.get(job(1).job_id)
    # Every change decided from an unfinished state it was once in is refused.
    for stale in (
        mark_queued(job(1), NOW),
        claim_of(job(1), LEASE, LEASE),
        release_lease(processing, NOW),
        complete(processing, ["s3://results/r.png"], 1, {}, NOW),
        fail(processing, REFUNDED, NOW),
        fail(job(1), REFUNDED, NOW),
    ):
        with pytest.raises(ConditionFailed):
            uow.apply(stale)
    assert uow.jobs.get(job(1).job_id) == finished
    assert used(uow) == 1


# --- the multi-item commits -------------------------------------------------------------


def test_complete_records_the_result_and_counts_the_image_once(uow):
    uow.users.record_login(Identity(user_id="alice"), NOW)
    processing = claimed(uow)
    meta = {"model": "m", "usage": {"promptTokens": 3}}
    later = NOW + timedelta(seconds=2)
    done = uow.apply(complete(processing, ["s3://results/r.png"], 1500, meta, later))
    assert (done.status, done.output_image_url, done.processing_time, done.updated_at) == (
        JobStatus.COMPLETED,
        "s3://results/r.png",
        1500,
        later,
    )
    assert (done.metadata, done.lease_expires_at) == (meta, None)
    assert uow.jobs.get(job(1).job_id) == done
    with pytest.raises(ConditionFailed):
        uow.apply(complete(processing, ["s3://results/r.png"], 1500, meta, NOW))
    assert uow.users.get("alice").total_images_generated == 1


def test_completing_the_job_of_an_owner_without_a_user_record_creates_none(uow):
    # The owner's record is gone (an account deleted while its job ran): it stays gone,
    # and the job still completes.
    processing = claimed(uow)
    done = uow.apply(complete(processing, ["s3://results/r.png"], 900, {"model": "m"}, NOW))
    assert uow.jobs.get(job(1).job_id) == done and done.status is JobStatus.COMPLETED
    assert uow.users.get("alice") is None


def test_fail_with_refund_gives_the_unit_back_exactly_once(uow):
    reserve(uow, 1)
    reserve(uow, 2)
    failed = uow.apply(fail(job(1), REFUNDED, NOW))
    assert (failed.status, failed.error, failed.lease_expires_at) == (
        JobStatus.FAILED,
        REFUNDED,
        None,
    )
    assert uow.jobs.get(job(1).job_id) == failed
    assert used(uow) == 1
    with pytest.raises(ConditionFailed):
        uow.apply(fail(job(1), REFUNDED, NOW))
    assert used(uow) == 1


def test_fail_without_refund_keeps_the_charge(uow):
    reserve(uow, 1)
    uow.apply(fail(job(1), KEPT, NOW))
    assert used(uow) == 1


def test_a_refund_goes_to_the_day_the_job_was_charged(uow):
    reserve(uow, 1)
    uow.reserve_and_create_job(
        Reservation(job(2), "alice#2026-11-30", 10, TTL, NOW + timedelta(days=1))
    )
    timed_out = JobError(code="timed_out", message="late")
    uow.apply(fail(job(1), timed_out, NOW + timedelta(days=1)))
    assert (used(uow), used(uow, "alice#2026-11-30")) == (0, 1)


def test_a_refund_never_takes_the_count_below_zero_and_the_job_still_fails(uow):
    # Charged under another day's key, so the job's own day has nothing to give back.
    uow.reserve_and_create_job(Reservation(job(1), "alice#2026-11-28", 10, TTL, NOW))
    failed = uow.apply(fail(job(1), REFUNDED, NOW))
    assert uow.jobs.get(job(1).job_id) == failed and failed.status is JobStatus.FAILED
    assert used(uow) == 0 and used(uow, "alice#2026-11-28") == 1
    # A refund of more units than the day holds gives back what is there.
    reserve(uow, 2)
    more = dataclasses.replace(fail(job(2), REFUNDED, NOW), refund=3)
    assert uow.apply(more).status is JobStatus.FAILED
    assert used(uow) == 0


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
    uow.apply(mark_queued(job(2, at=NOW + timedelta(minutes=1)), NOW + timedelta(minutes=1)))
    cutoff = NOW + timedelta(minutes=30)
    found = uow.jobs.list_created_before(JobStatus.PENDING, cutoff, 10)
    assert [j.job_id for j in found] == [job(1).job_id]
    queued = uow.jobs.list_created_before(JobStatus.QUEUED, cutoff, 10)
    assert [j.job_id for j in queued] == [job(2).job_id]


def test_jobs_created_in_a_window_are_found_by_status_oldest_first(uow):
    for n, minutes in enumerate((-1, 0, 5, 60), start=1):
        reserve(uow, n, at=NOW + timedelta(minutes=minutes))
    found = uow.jobs.list_created(JobStatus.PENDING, NOW, NOW + timedelta(minutes=60))
    assert [j.job_id for j in found] == [job(2).job_id, job(3).job_id]  # [start, end)
    assert uow.jobs.list_created(JobStatus.QUEUED, NOW, NOW + timedelta(hours=2)) == []


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


def test_a_deleted_user_is_gone_and_deleting_again_is_harmless(uow):
    uow.users.record_login(Identity(user_id="alice", email="a@x.io"), NOW)
    uow.users.record_login(Identity(user_id="bob"), NOW)
    uow.users.delete("alice")
    uow.users.delete("alice")
    assert uow.users.get("alice") is None
    assert uow.users.get("bob") is not None


# --- the service-wide cap (GLOBAL_DAILY_LIMIT) ------------------------------------------

CAPACITY = "__global__#2026-11-29"


def capped(uow, n: int, user: str, limit: int = 10, cap: int = 3) -> Job:
    """Reserve job n for `user` under a service-wide cap of `cap`; returns the job."""
    counted = job(n, user).model_copy(update={"capacity_date": "2026-11-29"})
    reservation = CapacityReservation(key=CAPACITY, limit=cap, expires_at=TTL)
    uow.reserve_and_create_job(
        Reservation(counted, f"{user}#2026-11-29", limit, TTL, NOW, capacity=reservation)
    )
    return counted


def test_the_cap_counts_every_users_reservation_and_fails_closed_at_it(uow):
    for n, user in enumerate(("alice", "bob", "carol")):
        capped(uow, n, user)
    with pytest.raises(CapacityExhausted):
        capped(uow, 9, "dave")
    assert used(uow, CAPACITY) == 3
    assert used(uow, "dave#2026-11-29") == 0 and uow.jobs.get(job(9, "dave").job_id) is None


def test_a_users_own_limit_is_reported_before_the_cap(uow):
    capped(uow, 1, "alice", limit=1, cap=1)
    with pytest.raises(QuotaExceeded):
        capped(uow, 2, "alice", limit=1, cap=1)


def test_a_refund_returns_the_unit_to_the_user_and_to_the_cap(uow):
    first = capped(uow, 1, "alice")
    capped(uow, 2, "bob")
    uow.apply(fail(first, REFUNDED, NOW))
    assert (used(uow), used(uow, CAPACITY)) == (0, 1)
    capped(uow, 3, "carol")
    capped(uow, 4, "dave")
    assert used(uow, CAPACITY) == 3


def test_a_hundred_users_racing_for_a_cap_of_ten_admit_exactly_ten(uow):
    outcomes = race(100, lambda n: capped(uow, n, f"user{n}", cap=10), CapacityExhausted)
    assert sorted(outcomes) == ["CapacityExhausted"] * 90 + ["ok"] * 10
    assert used(uow, CAPACITY) == 10
    assert sum(used(uow, f"user{n}#2026-11-29") for n in range(100)) == 10


def test_a_personal_daily_limit_is_set_without_touching_the_rest_of_the_record(uow):
    uow.users.record_login(Identity(user_id="alice", email="a@x.io"), NOW)
    limited = uow.users.set_daily_limit("alice", 25, NOW + timedelta(hours=1))
    assert (limited.daily_limit, limited.email, limited.created_at) == (25, "a@x.io", NOW)
    assert uow.users.get("alice").daily_limit == 25
    fresh = uow.users.set_daily_limit("newcomer", 3, NOW)
    assert (fresh.daily_limit, fresh.total_images_generated) == (3, 0)
    assert uow.users.get("newcomer").daily_limit == 3


def test_deleting_a_job_forgets_its_idempotency_record_only_while_the_record_names_it(uow):
    record = IdempotencyRecord(
        key="alice#k", request_hash="h", job_id=job(1).job_id, expires_at=NOW + timedelta(hours=24)
    )
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW, record))
    retry = record.model_copy(update={"job_id": job(2).job_id})
    uow.reserve_and_create_job(
        Reservation(job(2), USAGE, 10, TTL, NOW, retry, replaces=job(1).job_id)
    )

    uow.delete_job(JobDeletion(job(1).job_id, "alice#k"))  # the record names job 2 now

    assert uow.jobs.get(job(1).job_id) is None
    assert uow.idempotency.get("alice#k", NOW) == retry
    uow.delete_job(JobDeletion(job(2).job_id))  # no key: the record stays
    assert uow.jobs.get(job(2).job_id) is None
    assert uow.idempotency.get("alice#k", NOW) == retry
    uow.reserve_and_create_job(Reservation(job(3), USAGE, 10, TTL, NOW))
    uow.delete_job(JobDeletion(job(3).job_id, "alice#none"))  # no record under the key
    assert uow.jobs.get(job(3).job_id) is None

    uow.reserve_and_create_job(
        Reservation(
            job(4),
            USAGE,
            10,
            TTL,
            NOW,
            retry.model_copy(update={"job_id": job(4).job_id}),
            replaces=job(2).job_id,
        )
    )
    uow.delete_job(JobDeletion(job(4).job_id, "alice#k"))

    assert uow.jobs.get(job(4).job_id) is None
    assert uow.idempotency.get("alice#k", NOW) is None
    uow.delete_job(JobDeletion(job(4).job_id, "alice#k"))  # again: nothing left, no error
