import itertools
from datetime import UTC, datetime, timedelta

import pytest

from profilephoto.domain.errors import ConditionFailed, JobFinished
from profilephoto.domain.job_lifecycle import (
    TRANSITIONS,
    can_transition,
    cancel,
    check_transition,
    is_refunded,
    lease_is_live,
    sources_of,
)
from profilephoto.domain.models import Job, JobStatus

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def job(status: JobStatus, lease: datetime | None = None) -> Job:
    return Job(
        job_id="job_1",
        user_id="u",
        status=status,
        style="professional",
        input_image_url="memory://b/k",
        prompt="p",
        created_at=NOW,
        updated_at=NOW,
        quota_date="2026-11-29",
        lease_expires_at=lease,
    )


def test_the_happy_path_is_allowed_in_order():
    path = [JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.COMPLETED]
    assert all(can_transition(a, b) for a, b in itertools.pairwise(path))


P, Q, R, C, F, X = (
    JobStatus.PENDING,
    JobStatus.QUEUED,
    JobStatus.PROCESSING,
    JobStatus.COMPLETED,
    JobStatus.FAILED,
    JobStatus.CANCELED,
)
# Written out by hand, pair by pair, so a change to TRANSITIONS has to be a change here too.
ALLOWED = {
    (P, Q),
    (P, R),
    (P, F),
    (P, X),
    (Q, R),
    (Q, F),
    (Q, X),
    (R, R),
    (R, C),
    (R, F),
    (R, X),
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(JobStatus, JobStatus)), ids=str
)
def test_every_pair_of_states_is_allowed_exactly_when_the_table_says(current, target):
    assert can_transition(current, target) is ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        check_transition(job(current), target, frozenset({current}))
    else:
        with pytest.raises(ConditionFailed):
            check_transition(job(current), target, frozenset(JobStatus))


@pytest.mark.parametrize("terminal", [C, F, X])
def test_terminal_states_are_final(terminal):
    assert TRANSITIONS[terminal] == frozenset()
    for target in JobStatus:
        with pytest.raises(ConditionFailed):
            check_transition(job(terminal), target, frozenset(JobStatus))


def test_nothing_goes_backwards():
    assert not can_transition(JobStatus.QUEUED, JobStatus.PENDING)
    assert not can_transition(JobStatus.PROCESSING, JobStatus.QUEUED)


def test_a_transition_only_happens_from_the_expected_state():
    with pytest.raises(ConditionFailed):
        check_transition(
            job(JobStatus.QUEUED), JobStatus.PROCESSING, frozenset({JobStatus.PENDING})
        )
    check_transition(job(JobStatus.QUEUED), JobStatus.PROCESSING, frozenset({JobStatus.QUEUED}))


def test_every_unfinished_state_can_fail():
    assert sources_of(JobStatus.FAILED) == {
        JobStatus.PENDING,
        JobStatus.QUEUED,
        JobStatus.PROCESSING,
    }


def test_a_lease_is_live_only_while_it_lasts():
    assert lease_is_live(job(JobStatus.PROCESSING, NOW + timedelta(seconds=1)), NOW)
    assert not lease_is_live(job(JobStatus.PROCESSING, NOW), NOW)
    assert not lease_is_live(job(JobStatus.QUEUED, NOW + timedelta(hours=1)), NOW)


def test_only_failures_of_the_users_own_input_keep_the_charge():
    assert not is_refunded("invalid_image")
    assert not is_refunded("content_blocked")
    for code in ("generation_failed", "queue_unavailable", "timed_out", "upload_not_found"):
        assert is_refunded(code)


@pytest.mark.parametrize("status", [P, Q, R])
def test_cancelling_an_unfinished_job_gives_back_every_unit_it_reserved(status):
    later = NOW + timedelta(seconds=3)
    running = job(status, NOW + timedelta(minutes=5)).model_copy(update={"count": 3})
    change = cancel(running, later)
    assert change is not None
    assert (change.expected, change.refund, change.images) == ({P, Q, R}, 3, 0)
    canceled = change.applied_to(running)
    assert (canceled.status, canceled.updated_at, canceled.lease_expires_at) == (X, later, None)


def test_cancelling_a_canceled_job_changes_nothing():
    assert cancel(job(X), NOW) is None


@pytest.mark.parametrize("status", [C, F])
def test_a_finished_job_cannot_be_canceled(status):
    with pytest.raises(JobFinished):
        cancel(job(status), NOW)


def test_a_cancel_decided_on_a_stale_read_does_not_apply_to_a_job_that_finished_since():
    change = cancel(job(R), NOW)
    assert change is not None
    for finished in (C, F, X):
        with pytest.raises(ConditionFailed):
            change.applied_to(job(finished))
