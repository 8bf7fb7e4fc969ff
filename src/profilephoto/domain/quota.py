"""The quota day: which calendar day a moment counts against, its ledger key and its reset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import InvalidRequest
from profilephoto.domain.models import (
    GLOBAL_USAGE_USER,
    CapacityReservation,
    Usage,
    User,
    usage_key,
)
from profilephoto.domain.ports import UsageLedger

USAGE_RETENTION = timedelta(days=90)


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone named by QUOTA_TIMEZONE; a clear error for a bad name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequest(f"QUOTA_TIMEZONE={name!r} is not an IANA time zone") from exc


@dataclass(frozen=True)
class QuotaDay:
    user_id: str
    date: str
    resets_at: datetime

    @property
    def key(self) -> str:
        """The UsageLog partition key, `userId#YYYY-MM-DD`."""
        return usage_key(self.user_id, self.date)

    def seconds_until_reset(self, now: datetime) -> int:
        """Whole seconds until the reset, rounded up and at least 1 (for Retry-After)."""
        remaining = (self.resets_at - now).total_seconds()
        return max(1, int(remaining) + (remaining % 1 > 0))

    def expires_at(self) -> int:
        """Epoch seconds at which the usage record may be dropped (the ledger's `ttl`)."""
        return int((self.resets_at + USAGE_RETENTION).timestamp())


def quota_day(user_id: str, now: datetime, zone: ZoneInfo) -> QuotaDay:
    """The day `now` falls on in `zone`; it resets at the zone's next local midnight."""
    local = now.astimezone(zone)
    next_midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return QuotaDay(user_id, local.date().isoformat(), next_midnight.astimezone(UTC))


def daily_limit(user: User | None, default_limit: int) -> int:
    """A user's own `dailyLimit` overrides the deployment's DAILY_LIMIT."""
    if user is not None and user.daily_limit is not None:
        return user.daily_limit
    return default_limit


def usage_today(
    ledger: UsageLedger, user_id: str, user: User | None, now: datetime, config: ServiceConfig
) -> tuple[QuotaDay, Usage]:
    """The user's quota day at `now` and what is used and left of it (one ledger read)."""
    day = quota_day(user_id, now, config.quota_zone)
    record = ledger.get(day.key)
    used = record.count if record is not None else 0
    if user is None:  # no record (DELETE /me, or never seen): the operator's limit lasts
        personal = ledger.personal_limit(user_id)
        limit = personal if personal is not None else config.daily_limit
    else:
        limit = daily_limit(user, config.daily_limit)
    return day, Usage(
        date=day.date,
        used=used,
        limit=limit,
        remaining_quota=max(0, limit - used),
        resets_at=day.resets_at,
    )


def capacity_day(now: datetime, limit: int) -> tuple[QuotaDay, CapacityReservation]:
    """Today's service-wide count (GLOBAL_DAILY_LIMIT), a UsageLog record of its own that
    resets at midnight UTC whatever QUOTA_TIMEZONE says."""
    day = quota_day(GLOBAL_USAGE_USER, now, ZoneInfo("UTC"))
    return day, CapacityReservation(key=day.key, limit=limit, expires_at=day.expires_at())
