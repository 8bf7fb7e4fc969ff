from datetime import timedelta

import pytest

from profilephoto.domain.backoff import Backoff

S = timedelta(seconds=1)


def test_retries_wait_about_five_seconds_then_thirty_then_two_minutes():
    schedule = Backoff()
    assert [schedule.delay(retry) for retry in (1, 2, 3)] == [5 * S, 30 * S, 120 * S]


def test_retries_past_the_schedule_repeat_its_last_step():
    assert Backoff().delay(9) == 120 * S


def test_jitter_only_stretches_a_delay_by_up_to_half():
    schedule = Backoff()
    assert schedule.delay(1, draw=0.5) == 6.25 * S
    assert schedule.delay(1, draw=0.999) < 7.5 * S
    assert schedule.delay(2, draw=0.0) == 30 * S


def test_the_models_hint_is_a_floor_that_jitter_never_shortens():
    schedule = Backoff()
    assert schedule.delay(1, hint=53 * S) == 53 * S
    assert 53 * S < schedule.delay(1, hint=53 * S, draw=0.4) < 80 * S
    assert schedule.delay(3, hint=10 * S) == 120 * S  # a short hint does not shorten our step


def test_the_cap_bounds_an_outlandish_hint_and_the_stretched_schedule():
    schedule = Backoff(cap=timedelta(minutes=5))
    assert schedule.delay(1, hint=timedelta(hours=6)) == timedelta(minutes=5)
    assert Backoff(steps=(4 * 60 * S,)).delay(1, draw=0.99) == timedelta(minutes=5)


def test_a_first_retry_after_one_transient_failure_starts_within_a_minute():
    assert max(Backoff().delay(1, draw=d / 10) for d in range(10)) < timedelta(seconds=60)


def test_draws_outside_the_unit_interval_are_clamped():
    schedule = Backoff()
    assert schedule.delay(1, draw=-3.0) == 5 * S
    assert schedule.delay(1, draw=7.0) == 7.5 * S


@pytest.mark.parametrize("bad", [{"steps": ()}, {"steps": (-S,)}, {"jitter": -0.1}])
def test_a_schedule_that_makes_no_sense_is_refused(bad):
    with pytest.raises(ValueError):
        Backoff(**bad)
