import pytest

from profilephoto.domain.fleet_sizing import (
    BATCH_SECONDS,
    MAX_BATCH,
    MAX_CONCURRENCY,
    MIN_CONCURRENCY,
    OFFERED_RPM,
    fleet_size,
)


@pytest.mark.parametrize("rpm", OFFERED_RPM)
def test_the_fleet_reaches_the_quota_with_at_most_one_batch_to_spare(rpm):
    size = fleet_size(rpm)
    calls_a_minute = size.records * 60 / BATCH_SECONDS
    assert calls_a_minute >= rpm
    if size.records > MIN_CONCURRENCY:  # one batch fewer would leave quota unused
        assert (size.concurrency - 1) * size.batch_size * 60 / BATCH_SECONDS < rpm


@pytest.mark.parametrize("rpm", [1, *OFFERED_RPM, 10_000, 100_000])
def test_the_fleet_is_within_what_an_sqs_event_source_accepts(rpm):
    size = fleet_size(rpm)
    assert MIN_CONCURRENCY <= size.concurrency <= MAX_CONCURRENCY
    assert 1 <= size.batch_size <= MAX_BATCH


def test_a_100_rpm_quota_gets_four_workers_of_five_records():
    assert (fleet_size(100).concurrency, fleet_size(100).batch_size) == (4, 5)


def test_a_quota_under_one_request_a_minute_is_refused():
    with pytest.raises(ValueError):
        fleet_size(0)
