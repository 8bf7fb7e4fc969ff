from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from profilephoto.domain.errors import InvalidRequest
from profilephoto.domain.models import User
from profilephoto.domain.quota import daily_limit, load_zone, quota_day

SEOUL = ZoneInfo("Asia/Seoul")
UTC_ZONE = ZoneInfo("UTC")


def test_seoul_day_starts_at_seoul_midnight_which_is_1500_utc():
    just_before = datetime(2026, 11, 29, 14, 59, 59, 999000, tzinfo=UTC)
    midnight = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    assert quota_day("u", just_before, SEOUL).date == "2026-11-29"
    assert quota_day("u", midnight, SEOUL).date == "2026-11-30"
    assert quota_day("u", midnight, UTC_ZONE).date == "2026-11-29"


def test_utc_day_turns_at_the_instant_of_midnight():
    midnight = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert quota_day("u", midnight - timedelta(microseconds=1), UTC_ZONE).date == "2026-11-29"
    assert quota_day("u", midnight, UTC_ZONE).date == "2026-11-30"


def test_key_is_user_hash_date_and_reset_is_next_local_midnight():
    day = quota_day("alice", datetime(2026, 11, 29, 16, 0, tzinfo=UTC), SEOUL)
    assert day.key == "alice#2026-11-30"
    assert day.resets_at == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_retry_after_rounds_up_and_is_never_zero():
    day = quota_day("u", datetime(2026, 11, 29, 23, 59, 59, 500000, tzinfo=UTC), UTC_ZONE)
    assert day.seconds_until_reset(datetime(2026, 11, 29, 23, 59, 59, 500000, tzinfo=UTC)) == 1
    assert day.seconds_until_reset(datetime(2026, 11, 29, 23, 0, tzinfo=UTC)) == 3600


def test_usage_records_expire_ninety_days_after_their_day():
    day = quota_day("u", datetime(2026, 11, 29, 12, tzinfo=UTC), UTC_ZONE)
    assert day.expires_at() == int(datetime(2027, 2, 28, tzinfo=UTC).timestamp())


def test_a_users_own_limit_overrides_the_default():
    now = datetime(2026, 11, 29, tzinfo=UTC)
    user = User(user_id="u", created_at=now, last_login_at=now, daily_limit=3)
    assert daily_limit(user, 10) == 3
    assert daily_limit(user.model_copy(update={"daily_limit": 0}), 10) == 0
    assert daily_limit(user.model_copy(update={"daily_limit": None}), 10) == 10
    assert daily_limit(None, 10) == 10


def test_an_unknown_zone_is_a_clear_error():
    with pytest.raises(InvalidRequest, match="Mars/Olympus"):
        load_zone("Mars/Olympus")
