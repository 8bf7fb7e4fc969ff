import dataclasses
from datetime import timedelta

import pytest

from profilephoto.domain.errors import (
    AccountDeleting,
    CapacityExhausted,
    ConditionFailed,
    QuotaExceeded,
)
from profilephoto.domain.models import CapacityReservation, IdempotencyRecord, User
from profilephoto.domain.reservation import Reservation
from tests.jobs import NOW, make_job

JOB = make_job(1).model_copy(update={"count": 2})
CAPACITY = CapacityReservation(key="__global__#2026-11-29", limit=100, expires_at=0)


def reservation(**changes: object) -> Reservation:
    """Two units of alice's limit of 10, under a service cap of 100."""
    admit = Reservation(JOB, "alice#2026-11-29", 10, 0, NOW, capacity=CAPACITY)
    return dataclasses.replace(admit, **changes)  # type: ignore[arg-type]


def record(job_id: str) -> IdempotencyRecord:
    return IdempotencyRecord(
        key="alice#k", request_hash="h", job_id=job_id, expires_at=NOW + timedelta(days=1)
    )


def test_a_reservation_counts_one_unit_per_image_asked_for():
    assert reservation().units == 2


def test_a_reservation_within_both_limits_passes():
    reservation().check(used=8, capacity_used=98)


def test_a_taken_job_id_or_key_is_refused_before_any_limit_is_looked_at():
    with pytest.raises(ConditionFailed):
        reservation().check(job_exists=True, used=10, capacity_used=100)
    with pytest.raises(ConditionFailed):
        reservation().check(live=record("job_other"), used=10, capacity_used=100)


def test_a_live_key_naming_the_job_it_replaces_is_taken_over():
    reservation(replaces="job_failed").check(live=record("job_failed"))


def test_the_users_limit_is_told_before_the_services():
    with pytest.raises(QuotaExceeded):
        reservation().check(used=9, capacity_used=100)
    with pytest.raises(CapacityExhausted):
        reservation().check(used=8, capacity_used=99)


def test_without_a_cap_only_the_users_limit_counts():
    reservation(capacity=None).check(used=8, capacity_used=10**6)


def deleting(until: object) -> User:
    return User(user_id="alice", created_at=NOW, last_login_at=NOW, deleting_until=until)


def test_an_account_being_deleted_is_refused_after_a_taken_id_and_before_any_limit():
    with pytest.raises(AccountDeleting):
        reservation().check(owner=deleting(NOW + timedelta(minutes=5)), used=10)
    with pytest.raises(ConditionFailed):
        reservation().check(job_exists=True, owner=deleting(NOW + timedelta(minutes=5)))


def test_a_deletion_mark_that_has_lapsed_refuses_nothing():
    reservation().check(owner=deleting(NOW))
    reservation().check(owner=deleting(None))
