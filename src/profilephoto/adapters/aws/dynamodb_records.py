"""Users, usage ledger, connections and idempotency records on their DynamoDB tables."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.dynamodb_items import Dynamo, av, from_item, to_item
from profilephoto.adapters.aws.errors import aws_errors, reraise
from profilephoto.domain.errors import ConditionFailed
from profilephoto.domain.job_lifecycle import JobChange
from profilephoto.domain.models import (
    Connection,
    IdempotencyRecord,
    Identity,
    UsageRecord,
    User,
    iso_z,
    parse_iso,
)
from profilephoto.domain.report import DayReport, ReportEntry, report_key

IDEMPOTENCY_PREFIX = "idem#"
KNOWN_COUNTS = 4096

# Identity claims -> Users attribute names.
_CLAIMS = {"email": "email", "display_name": "displayName", "provider": "provider"}


# A day report's counters are flat attributes (an ADD cannot reach into a map that is not
# there yet): `jobs:<status>` and `failures:<code>` beside images, tokens and costUsd.
JOBS_PREFIX, FAILURES_PREFIX = "jobs:", "failures:"


def report_update(table: str, entry: ReportEntry, change: JobChange) -> dict[str, Any]:
    """A job's entry added to its day's report: one more item of the change's transaction,
    with no condition (a job ends once: the job item's own guard sees to that)."""
    names = {
        "#status": JOBS_PREFIX + entry.status.value,
        "#images": "images",
        "#tokens": "tokens",
        "#cost": "costUsd",
        "#ttl": "ttl",
    }
    adds = "#status :one, #images :images, #tokens :tokens, #cost :cost"
    if entry.failure is not None:
        names["#failure"] = FAILURES_PREFIX + entry.failure
        adds += ", #failure :one"
    return {
        "Update": {
            "TableName": table,
            "Key": {"userIdDate": av(entry.key)},
            "UpdateExpression": f"ADD {adds} SET lastUpdated = :now, #ttl = :ttl",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":one": av(1),
                ":images": av(entry.images),
                ":tokens": av(entry.tokens),
                ":cost": av(entry.cost_usd),
                ":now": av(iso_z(change.predicted().updated_at)),
                ":ttl": av(entry.expires_at),
            },
        }
    }


def _prefixed(plain: dict[str, Any], prefix: str) -> dict[str, int]:
    return {name[len(prefix) :]: int(v) for name, v in plain.items() if name.startswith(prefix)}


def limit_key(user_id: str) -> str:
    """The UsageLog key of a user's personal dailyLimit; no `userId`/`date` attributes go
    with it, so it stays out of UserIdIndex and never looks like a day's count."""
    return f"{user_id}#dailyLimit"


def personal_limit(db: Dynamo, user_id: str) -> int | None:
    plain = db.get(db.tables.usage, {"userIdDate": limit_key(user_id)}, "dynamodb.usage.limit")
    return None if plain is None else int(plain["dailyLimit"])


def idempotency_id(key: str) -> str:
    """The ImageJobs `jobId` of an idempotency record; no status, so it stays out of GSIs."""
    return IDEMPOTENCY_PREFIX + key


@dataclass(frozen=True)
class RecordedLogin:
    """A login this host wrote, and the user it wrote back."""

    claims: tuple[Any, ...]
    recorded_at: datetime  # the lastLoginAt written
    cached_at: float  # time.monotonic() when written
    user: User

    def fresh(self, max_age: float) -> bool:
        return time.monotonic() - self.cached_at < max_age


class DynamoDbUserRepository:
    """Users, with the recent logins of this host (`USER_CACHE_SECONDS`, docs/api.md §1) so
    a warm host neither rewrites the same login nor re-reads the user on every request."""

    def __init__(self, db: Dynamo, cache_seconds: float = 300.0) -> None:
        self._db = db
        self._max_age = cache_seconds
        self._lock = threading.Lock()
        self._logins: dict[str, RecordedLogin] = {}

    def get(self, user_id: str) -> User | None:
        with self._lock:
            login = self._logins.get(user_id)
        if login is not None and login.fresh(self._max_age):
            return login.user
        plain = self._db.get(self._db.tables.users, {"userId": user_id}, "dynamodb.users.get")
        return None if plain is None else User.model_validate(plain)

    def record_login(self, identity: Identity, now: datetime) -> User:
        claims = tuple(getattr(identity, field) for field in _CLAIMS)
        with self._lock:
            login = self._logins.get(identity.user_id)
        if (
            login is not None
            and login.claims == claims
            and timedelta(0) <= now - login.recorded_at < timedelta(seconds=self._max_age)
            and login.fresh(self._max_age)
        ):
            return login.user
        sets = [
            "lastLoginAt = :now",
            "createdAt = if_not_exists(createdAt, :now)",
            "totalImagesGenerated = if_not_exists(totalImagesGenerated, :zero)",
        ]
        values: dict[str, Any] = {":now": av(iso_z(now)), ":zero": av(0)}
        for field, attribute in _CLAIMS.items():
            value = getattr(identity, field)
            if value is not None:
                sets.append(f"{attribute} = :{attribute}")
                values[f":{attribute}"] = av(value)
        try:
            found = self._db.client.update_item(
                TableName=self._db.tables.users,
                Key={"userId": av(identity.user_id)},
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except (ClientError, BotoCoreError) as error:
            reraise(error, "dynamodb.users.record_login")
        user = User.model_validate(from_item(found["Attributes"]))
        if user.daily_limit is None and found["Attributes"]["createdAt"] == av(iso_z(now)):
            user = self._restore_limit(user, now)  # first sight: one read, new users only
        with self._lock:
            self._logins[identity.user_id] = RecordedLogin(claims, now, time.monotonic(), user)
        return user

    def _restore_limit(self, user: User, now: datetime) -> User:
        """A user created just now gets back the personal limit the ledger keeps."""
        limit = personal_limit(self._db, user.user_id)
        if limit is None:
            return user
        try:
            with aws_errors("dynamodb.users.restore_limit"):
                found = self._db.client.update_item(
                    TableName=self._db.tables.users,
                    Key={"userId": av(user.user_id)},
                    UpdateExpression="SET dailyLimit = :limit",
                    ConditionExpression="attribute_exists(userId) "
                    "AND attribute_not_exists(dailyLimit)",
                    ExpressionAttributeValues={":limit": av(limit)},
                    ReturnValues="ALL_NEW",
                )
        except ConditionFailed:  # an operator set one meanwhile, or the record went again
            return user.model_copy(update={"daily_limit": limit})
        return User.model_validate(from_item(found["Attributes"]))

    def put(self, user: User) -> None:
        """Store a user as given (tests and admin tools set `daily_limit` this way)."""
        with aws_errors("dynamodb.users.put"):
            self._db.client.put_item(
                TableName=self._db.tables.users, Item=to_item(user.to_json_dict())
            )
        self.forget(user.user_id)

    def mark_deleting(self, user_id: str, until: datetime, now: datetime) -> None:
        with aws_errors("dynamodb.users.mark_deleting"):
            self._db.client.update_item(
                TableName=self._db.tables.users,
                Key={"userId": av(user_id)},
                UpdateExpression=(
                    "SET deletingUntil = :until, createdAt = if_not_exists(createdAt, :now), "
                    "lastLoginAt = if_not_exists(lastLoginAt, :now), "
                    "totalImagesGenerated = if_not_exists(totalImagesGenerated, :zero)"
                ),
                ExpressionAttributeValues={
                    ":until": av(iso_z(until)),
                    ":now": av(iso_z(now)),
                    ":zero": av(0),
                },
            )
        self.forget(user_id)

    def set_daily_limit(self, user_id: str, limit: int, now: datetime) -> User:
        # The ledger first: a failure between the writes leaves the limit where it lasts,
        # and the operator's retry writes both.
        with aws_errors("dynamodb.usage.set_limit"):
            self._db.client.put_item(
                TableName=self._db.tables.usage,
                Item={
                    "userIdDate": av(limit_key(user_id)),
                    "dailyLimit": av(limit),
                    "lastUpdated": av(iso_z(now)),
                },
            )
        with aws_errors("dynamodb.users.set_daily_limit"):
            found = self._db.client.update_item(
                TableName=self._db.tables.users,
                Key={"userId": av(user_id)},
                UpdateExpression=(
                    "SET dailyLimit = :limit, createdAt = if_not_exists(createdAt, :now), "
                    "lastLoginAt = if_not_exists(lastLoginAt, :now), "
                    "totalImagesGenerated = if_not_exists(totalImagesGenerated, :zero)"
                ),
                ExpressionAttributeValues={
                    ":limit": av(limit),
                    ":now": av(iso_z(now)),
                    ":zero": av(0),
                },
                ReturnValues="ALL_NEW",
            )
        self.forget(user_id)
        return User.model_validate(from_item(found["Attributes"]))

    def delete(self, user_id: str) -> None:
        with aws_errors("dynamodb.users.delete"):
            self._db.client.delete_item(
                TableName=self._db.tables.users, Key={"userId": av(user_id)}
            )
        self.forget(user_id)

    def forget(self, user_id: str) -> None:
        """Drop the cached user after a write that changed the stored item."""
        with self._lock:
            self._logins.pop(user_id, None)


class DynamoDbUsageLedger:
    """Usage records, and the last count this host saw per key (at most KNOWN_COUNTS keys).

    The count is only a guess that lets a reservation skip a read: the reservation writes
    `count = guess + 1` on condition `count = guess`, so a stale guess costs one retry and
    never a wrong count or a stale answer. It needs no setting for that reason.
    """

    def __init__(self, db: Dynamo) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def get(self, key: str) -> UsageRecord | None:
        plain = self._db.get(self._db.tables.usage, {"userIdDate": key}, "dynamodb.usage.get")
        record = None if plain is None else UsageRecord.model_validate(plain)
        self.note(key, record.count if record is not None else 0)
        return record

    def personal_limit(self, user_id: str) -> int | None:
        return personal_limit(self._db, user_id)

    def report(self, date: str) -> DayReport | None:
        plain = self._db.get(
            self._db.tables.usage, {"userIdDate": report_key(date)}, "dynamodb.usage.report"
        )
        if plain is None:
            return None
        return DayReport(
            date=date,
            jobs=_prefixed(plain, JOBS_PREFIX),
            images=int(plain.get("images", 0)),
            failures=_prefixed(plain, FAILURES_PREFIX),
            tokens=int(plain.get("tokens", 0)),
            cost_usd=float(plain.get("costUsd", 0)),
        )

    def known(self, key: str) -> int | None:
        with self._lock:
            return self._counts.get(key)

    def note(self, key: str, count: int) -> None:
        with self._lock:
            if len(self._counts) >= KNOWN_COUNTS:
                self._counts.clear()
            self._counts[key] = count

    def forget(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


class DynamoDbConnectionRepository:
    def __init__(self, db: Dynamo) -> None:
        self._db = db

    def add(self, connection: Connection) -> None:
        with aws_errors("dynamodb.connections.add"):
            self._db.client.put_item(
                TableName=self._db.tables.connections, Item=to_item(connection.to_json_dict())
            )

    def remove(self, connection_id: str) -> None:
        with aws_errors("dynamodb.connections.remove"):
            self._db.client.delete_item(
                TableName=self._db.tables.connections, Key={"connectionId": av(connection_id)}
            )

    def list_for_user(self, user_id: str) -> list[Connection]:
        items = self._db.query_all(
            "dynamodb.connections.list_for_user",
            TableName=self._db.tables.connections,
            IndexName="UserIdIndex",
            KeyConditionExpression="userId = :u",
            ExpressionAttributeValues={":u": av(user_id)},
        )
        return [Connection.model_validate(i) for i in items]


class DynamoDbIdempotencyStore:
    def __init__(self, db: Dynamo) -> None:
        self._db = db

    def get(self, key: str, now: datetime) -> IdempotencyRecord | None:
        plain = self._db.get(
            self._db.tables.jobs, {"jobId": idempotency_id(key)}, "dynamodb.idempotency.get"
        )
        # DynamoDB's TTL deletes lazily (up to days late), so expiry is checked here.
        if plain is None or parse_iso(plain["expiresAt"]) <= now:
            return None
        return IdempotencyRecord(
            key=key,
            request_hash=plain["requestHash"],
            job_id=plain["idemJobId"],
            expires_at=parse_iso(plain["expiresAt"]),
        )

    def delete(self, key: str) -> None:
        with aws_errors("dynamodb.idempotency.delete"):
            self._db.client.delete_item(
                TableName=self._db.tables.jobs, Key={"jobId": av(idempotency_id(key))}
            )


def idempotency_item(record: IdempotencyRecord) -> dict[str, Any]:
    return to_item(
        {
            "jobId": idempotency_id(record.key),
            "requestHash": record.request_hash,
            "idemJobId": record.job_id,
            "expiresAt": iso_z(record.expires_at),
            "ttl": int(record.expires_at.timestamp()),
        }
    )
