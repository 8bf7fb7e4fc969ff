import itertools
from datetime import timedelta

import pytest

from profilephoto.domain.errors import ConditionFailed, JobFinished
from profilephoto.domain.job_lifecycle import (
    TRANSITIONS,
    Describes,
    JobChange,
    LeaseFree,
    LeaseHeld,
    can_transition,
    cancel,
    complete,
    fail,
    is_refunded,
    lease_is_live,
    mark_queued,
    release_lease,
    sources_of,
)
from profilephoto.domain.models import TERMINAL_STATUSES, JobError, JobStatus
from tests.jobs import NOW, claim_of, make_job

LEASE = NOW + timedelta(minutes=5)
REFUNDED = JobError(code="generation_failed", message="no")
KEPT = JobError(code="content_blocked", message="no")


def job(status: JobStatus = JobStatus.PENDING, lease=None):
    return make_job(status=status, lease_expires_at=lease)


def test_the_happy_path_is_allowed_in_order():
    path = [JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.COMPLETED]
    assert all(can_transition(a, b) for a, b in itertools.pairwise(path))


PENDING, QUEUED, PROCESSING = JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING
COMPLETED, FAILED, CANCELED = JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED
# Written out by hand, pair by pair, so a change to TRANSITIONS has to be a change here too.
ALLOWED = {
    (PENDING, QUEUED),
    (PENDING, PROCESSING),
    (PENDING, FAILED),
    (PENDING, CANCELED),
    (QUEUED, PROCESSING),
    (QUEUED, FAILED),
    (QUEUED, CANCELED),
    (PROCESSING, PROCESSING),
    (PROCESSING, COMPLETED),
    (PROCESSING, FAILED),
    (PROCESSING, CANCELED),
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(JobStatus, JobStatus)), ids=str
)
def test_every_pair_of_states_is_allowed_exactly_when_the_table_says(current, target):
    assert can_transition(current, target) is ((current, target) in ALLOWED)


def test_a_state_is_terminal_exactly_when_the_table_gives_it_no_way_out():
    """A new state with no way out that is not in TERMINAL_STATUSES would never be swept
    by retention, and would count as running for the reconciler and account deletion."""
    assert {s for s in JobStatus if not TRANSITIONS[s]} == set(TERMINAL_STATUSES)
    assert {s for s in JobStatus if s.is_terminal} == set(TERMINAL_STATUSES)


@pytest.mark.parametrize("terminal", TERMINAL_STATUSES)
def test_no_change_can_be_decided_from_a_finished_job(terminal):
    assert TRANSITIONS[terminal] == frozenset()
    finished = job(terminal)
    for decide in (
        lambda: mark_queued(finished, NOW),
        lambda: complete(finished, ["s3://r/x.png"], 1, {}, NOW),
        lambda: fail(finished, REFUNDED, NOW),
        lambda: release_lease(finished, NOW),
    ):
        with pytest.raises(ConditionFailed):
            decide()


def test_nothing_goes_backwards():
    assert not can_transition(JobStatus.QUEUED, JobStatus.PENDING)
    assert not can_transition(JobStatus.PROCESSING, JobStatus.QUEUED)
    with pytest.raises(ConditionFailed):
        mark_queued(job(JobStatus.PROCESSING), NOW)


def test_a_change_decided_from_a_job_expects_the_state_it_was_read_in():
    change = mark_queued(job(JobStatus.PENDING), NOW)
    assert change.expected == {JobStatus.PENDING}
    assert change.applied_to(job(JobStatus.PENDING)).status is JobStatus.QUEUED
    with pytest.raises(ConditionFailed):
        change.applied_to(job(JobStatus.QUEUED))


def test_every_unfinished_state_can_fail():
    assert sources_of(JobStatus.FAILED) == {
        JobStatus.PENDING,
        JobStatus.QUEUED,
        JobStatus.PROCESSING,
    }


def test_a_claim_is_guarded_by_the_table_the_lease_and_the_message():
    change = claim_of(job(), NOW, LEASE)
    assert change.expected == sources_of(JobStatus.PROCESSING)
    claimed = change.applied_to(job(JobStatus.QUEUED))
    assert (claimed.status, claimed.attempts, claimed.lease_expires_at) == (
        JobStatus.PROCESSING,
        1,
        LEASE,
    )
    assert not change.holds(job(JobStatus.PROCESSING, lease=NOW + timedelta(seconds=1)))
    assert change.holds(job(JobStatus.PROCESSING, lease=NOW))
    stranger = make_job(user="mallory")
    assert not change.holds(stranger)


def test_guards_hold_exactly_when_their_rule_does():
    leased = job(JobStatus.PROCESSING, lease=LEASE)
    assert not LeaseFree(NOW).holds(leased) and LeaseFree(LEASE).holds(leased)
    assert LeaseHeld(LEASE).holds(leased) and not LeaseHeld(NOW).holds(leased)
    agrees = Describes(
        user_id="alice", style="professional", input_image_url=leased.input_image_url
    )
    assert agrees.holds(leased)
    assert not Describes(user_id="alice", style="casual", input_image_url="x").holds(leased)


def test_a_hand_back_holds_only_while_the_lease_is_the_workers_own():
    mine = job(JobStatus.PROCESSING, lease=LEASE)
    change = release_lease(mine, NOW)
    assert change.applied_to(mine).lease_expires_at == NOW
    with pytest.raises(ConditionFailed):
        change.applied_to(job(JobStatus.PROCESSING, lease=LEASE + timedelta(minutes=1)))


def test_completing_counts_one_image_and_failing_refunds_only_system_failures():
    processing = job(JobStatus.PROCESSING, lease=LEASE)
    done = complete(processing, ["s3://r/x.png"], 12, {"model": "m"}, NOW)
    assert (done.images, done.refund, done.owner) == (1, 0, "alice")
    assert done.predicted().lease_expires_at is None
    assert fail(processing, REFUNDED, NOW).refund == 1
    assert fail(processing, KEPT, NOW).refund == 0
    assert fail(processing, REFUNDED, NOW).usage_key == "alice#2026-11-29"


def test_a_change_names_only_fields_a_job_has():
    with pytest.raises(ValueError, match="no field"):
        JobChange(
            name="typo",
            job_id="job_1",
            expected=frozenset({JobStatus.PENDING}),
            updates={"statuss": JobStatus.QUEUED},
        )


def test_a_lease_is_live_only_while_it_lasts():
    assert lease_is_live(job(JobStatus.PROCESSING, NOW + timedelta(seconds=1)), NOW)
    assert not lease_is_live(job(JobStatus.PROCESSING, NOW), NOW)
    assert not lease_is_live(job(JobStatus.QUEUED, NOW + timedelta(hours=1)), NOW)


def test_only_failures_of_the_users_own_input_keep_the_charge():
    assert not is_refunded("invalid_image")
    assert not is_refunded("content_blocked")
    for code in ("generation_failed", "queue_unavailable", "timed_out", "upload_not_found"):
        assert is_refunded(code)


@pytest.mark.parametrize("status", [PENDING, QUEUED, PROCESSING])
def test_cancelling_an_unfinished_job_gives_back_every_unit_it_reserved(status):
    later = NOW + timedelta(seconds=3)
    running = job(status, NOW + timedelta(minutes=5)).model_copy(update={"count": 3})
    change = cancel(running, later)
    assert change is not None
    unfinished = {PENDING, QUEUED, PROCESSING}
    assert (change.expected, change.refund, change.images) == (unfinished, 3, 0)
    canceled = change.applied_to(running)
    assert (canceled.status, canceled.updated_at, canceled.lease_expires_at) == (
        CANCELED,
        later,
        None,
    )


def test_cancelling_a_canceled_job_changes_nothing():
    assert cancel(job(CANCELED), NOW) is None


@pytest.mark.parametrize("status", [COMPLETED, FAILED])
def test_a_finished_job_cannot_be_canceled(status):
    with pytest.raises(JobFinished):
        cancel(job(status), NOW)


def test_a_cancel_decided_on_a_stale_read_does_not_apply_to_a_job_that_finished_since():
    change = cancel(job(PROCESSING), NOW)
    assert change is not None
    for finished in (COMPLETED, FAILED, CANCELED):
        with pytest.raises(ConditionFailed):
            change.applied_to(job(finished))
