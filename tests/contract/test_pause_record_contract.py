"""PauseRecord: every adapter behaves like this (the fleet's one pause on model calls)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from profilephoto.domain.errors import ServiceUnavailable

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def test_a_fresh_record_holds_no_pause(pauses):
    assert pauses.record.paused_until() is None


def test_a_pause_is_read_back_as_written_to_the_millisecond(pauses):
    until = NOON + timedelta(seconds=53, milliseconds=250)
    pauses.record.extend(until)
    assert pauses.record.paused_until() == until


def test_every_worker_sees_the_pause_one_of_them_wrote(pauses):
    pauses.record.extend(NOON + 53 * S)
    assert pauses.another().paused_until() == NOON + 53 * S


def test_a_later_pause_extends_and_an_earlier_one_never_shortens(pauses):
    other = pauses.another()
    pauses.record.extend(NOON + 40 * S)
    other.extend(NOON + 10 * S)
    assert pauses.record.paused_until() == NOON + 40 * S
    other.extend(NOON + 60 * S)
    assert pauses.record.paused_until() == NOON + 60 * S


def test_concurrent_writers_leave_the_latest_pause(pauses):
    moments = [NOON + n * S for n in range(1, 21)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(pauses.record.extend, reversed(moments)))
    assert pauses.record.paused_until() == moments[-1]


def test_a_store_out_of_reach_raises_service_unavailable(pauses):
    pauses.break_next()
    with pytest.raises(ServiceUnavailable):
        pauses.record.paused_until()
        pauses.record.extend(NOON)
