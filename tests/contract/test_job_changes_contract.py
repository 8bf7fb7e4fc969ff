"""UnitOfWork.apply: a change the domain decided is written whole, once, or not at all."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from profilephoto.domain.errors import ConditionFailed, QuotaExceeded
from profilephoto.domain.job_lifecycle import cancel, complete, fail, mark_queued
from profilephoto.domain.models import Identity, JobError, JobStatus
from profilephoto.domain.reservation import Reservation
from tests.contract.test_unit_of_work_contract import LEASE, NOW, TTL, USAGE, job, used
from tests.jobs import claim_of

PENDING, QUEUED, PROCESSING = JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING
COMPLETED, FAILED, CANCELED = JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED


def reserve(uow, n: int):
    created = job(n)
    uow.reserve_and_create_job(Reservation(created, USAGE, 100, TTL, NOW))
    return created


def test_cancelling_a_queued_job_writes_canceled_and_refunds_once(uow):
    reserve(uow, 1)
    reserve(uow, 2)
    queued = uow.apply(mark_queued(job(1), NOW))
    later = NOW + timedelta(seconds=3)
    change = cancel(queued, later)
    canceled = uow.apply(change)
    assert (canceled.status, canceled.updated_at) == (CANCELED, later)
    assert uow.jobs.get(job(1).job_id) == canceled
    assert used(uow) == 1
    with pytest.raises(ConditionFailed):
        uow.apply(change)  # the same change twice: the guard no longer holds
    assert used(uow) == 1


def test_cancelling_a_processing_job_drops_its_lease(uow):
    reserve(uow, 1)
    claimed = uow.apply(claim_of(job(1), NOW, LEASE))
    canceled = uow.apply(cancel(claimed, NOW))
    assert (canceled.status, canceled.lease_expires_at) == (CANCELED, None)
    assert uow.jobs.get(job(1).job_id).lease_expires_at is None
    assert used(uow) == 0


def test_a_cancel_refunds_the_day_the_job_was_charged_to(uow):
    yesterday = reserve(uow, 1)
    uow.reserve_and_create_job(
        Reservation(job(2), "alice#2026-11-30", 10, TTL, NOW + timedelta(days=1))
    )
    uow.apply(cancel(yesterday, NOW + timedelta(days=1)))
    assert (used(uow), used(uow, "alice#2026-11-30")) == (0, 1)


@pytest.mark.parametrize("finish", ["complete", "fail"])
def test_a_cancel_decided_before_the_job_finished_writes_nothing(uow, finish):
    reserve(uow, 1)
    claimed = uow.apply(claim_of(job(1), NOW, LEASE))
    stale = cancel(claimed, NOW)
    if finish == "complete":
        uow.apply(complete(claimed, ["s3://results/r.png"], 10, {}, NOW))
    else:
        uow.apply(fail(claimed, JobError(code="invalid_image", message="no"), NOW))
    with pytest.raises(ConditionFailed):
        uow.apply(stale)
    assert uow.jobs.get(job(1).job_id).status is (COMPLETED if finish == "complete" else FAILED)
    assert used(uow) == 1


def test_a_canceled_job_can_neither_complete_nor_fail_nor_be_claimed(uow):
    uow.users.record_login(Identity(user_id="alice"), NOW)
    reserve(uow, 1)
    claimed = uow.apply(claim_of(job(1), NOW, LEASE))
    uow.apply(cancel(claimed, NOW))
    with pytest.raises(ConditionFailed):
        uow.apply(complete(claimed, ["s3://results/r.png"], 10, {}, NOW))
    with pytest.raises(ConditionFailed):
        uow.apply(fail(claimed, JobError(code="timed_out", message="x"), NOW))
    with pytest.raises(ConditionFailed):
        uow.apply(claim_of(job(1), LEASE, LEASE + timedelta(minutes=5)))
    assert used(uow) == 0
    assert uow.users.get("alice").total_images_generated == 0


def test_cancel_racing_completion_has_exactly_one_winner_and_exact_ledgers(uow):
    uow.users.record_login(Identity(user_id="alice"), NOW)
    rounds = 20
    claimed = {}
    for n in range(rounds):
        reserve(uow, n)
        claimed[n] = uow.apply(claim_of(job(n), NOW, LEASE))
    winners: dict[str, list[str]] = {}

    def race(n: int) -> None:
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def complete_it() -> None:
            start.wait()
            try:
                uow.apply(complete(claimed[n], ["s3://results/r.png"], 10, {}, NOW))
                outcomes.append("completed")
            except ConditionFailed:
                pass

        def cancel_it() -> None:
            seen = uow.jobs.get(job(n).job_id)
            start.wait()
            try:
                uow.apply(cancel(seen, NOW))
                outcomes.append("canceled")
            except ConditionFailed:
                pass

        threads = [threading.Thread(target=complete_it), threading.Thread(target=cancel_it)]
        if n % 2:  # either may get going first; try both orders
            threads.reverse()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners[job(n).job_id] = outcomes

    for n in range(rounds):
        race(n)
    assert all(len(outcome) == 1 for outcome in winners.values()), winners
    completed = [j for j, o in winners.items() if o == ["completed"]]
    canceled = [j for j, o in winners.items() if o == ["canceled"]]
    for job_id in completed:
        assert uow.jobs.get(job_id).status is COMPLETED
    for job_id in canceled:
        assert uow.jobs.get(job_id).status is CANCELED
    assert used(uow, USAGE) == len(completed)
    assert uow.users.get("alice").total_images_generated == len(completed)


# --- several variants: one job, `count` units ---------------------------------------------


def reserve_variants(uow, n: int, count: int, limit: int) -> int:
    wanted = job(n).model_copy(update={"count": count})
    return uow.reserve_and_create_job(Reservation(wanted, USAGE, limit, TTL, NOW))


def test_a_job_of_several_variants_reserves_all_its_units_or_none(uow):
    assert reserve_variants(uow, 1, count=2, limit=5) == 2
    assert reserve_variants(uow, 2, count=2, limit=5) == 4  # warm: this host knows the count
    with pytest.raises(QuotaExceeded):
        reserve_variants(uow, 3, count=2, limit=5)
    assert used(uow) == 4 and uow.jobs.get(job(3).job_id) is None
    assert reserve_variants(uow, 4, count=1, limit=5) == 5


def test_more_variants_than_the_whole_limit_are_refused_on_a_fresh_day(uow):
    with pytest.raises(QuotaExceeded):
        reserve_variants(uow, 1, count=3, limit=2)
    assert used(uow) == 0


@pytest.mark.parametrize("end", ["cancel", "fail"])
def test_canceling_or_failing_a_job_of_several_variants_refunds_every_unit(uow, end):
    reserve_variants(uow, 1, count=3, limit=10)
    reserve(uow, 2)
    reserved = uow.jobs.get(job(1).job_id)
    if end == "cancel":
        uow.apply(cancel(reserved, NOW))
    else:
        uow.apply(fail(reserved, JobError(code="timed_out", message="x"), NOW))
    assert used(uow) == 1


def test_racing_reservations_of_two_units_never_pass_the_limit(uow):
    start = threading.Barrier(8)
    admitted: list[int] = []

    def attempt(n: int) -> None:
        start.wait()
        try:
            reserve_variants(uow, 100 + n, count=2, limit=7)
            admitted.append(n)
        except QuotaExceeded:
            pass

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 3
    assert used(uow) == 6
