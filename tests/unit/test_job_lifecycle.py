import itertools
from datetime import UTC, datetime, timedelta

import pytest

from profilephoto.domain.errors import ConditionFailed
from profilephoto.domain.job_lifecycle import (
    TRANSITIONS,
    can_transition,
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


@pytest.mark.parametrize("terminal", [JobStatus.COMPLETED, JobStatus.FAILED])
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
