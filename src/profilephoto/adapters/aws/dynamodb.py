"""UnitOfWork on DynamoDB: each multi-item commit is one TransactWriteItems."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from profilephoto.adapters.aws.dynamodb_items import (
    CONFLICT_ATTEMPTS,
    Dynamo,
    Refused,
    TableNames,
    av,
)
from profilephoto.adapters.aws.dynamodb_jobs import DynamoDbJobRepository, change_update, job_item
from profilephoto.adapters.aws.dynamodb_outbox import DynamoDbUnsentWebhooks, unsent_put
from profilephoto.adapters.aws.dynamodb_records import (
    DynamoDbConnectionRepository,
    DynamoDbIdempotencyStore,
    DynamoDbUsageLedger,
    DynamoDbUserRepository,
    idempotency_id,
    idempotency_item,
    report_update,
)
from profilephoto.domain.errors import (
    AccountDeleting,
    CapacityExhausted,
    QuotaExceeded,
    ServiceUnavailable,
)
from profilephoto.domain.job_deletion import JobDeletion
from profilephoto.domain.job_lifecycle import JobChange
from profilephoto.domain.models import Job, iso_z
from profilephoto.domain.reservation import Reservation

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_USAGE_NAMES = {"#c": "count", "#d": "date", "#ttl": "ttl"}
# A refund's transaction items, in the order of JobChange.refund_keys: the owner's day,
# then the service-wide day when the job was counted under GLOBAL_DAILY_LIMIT.
REFUND_ITEMS = ("refund", "capacity_refund")


class DynamoDbUnitOfWork:
    def __init__(
        self,
        client: DynamoDBClient,
        users_table: str = "Users",
        usage_table: str = "UsageLog",
        jobs_table: str = "ImageJobs",
        connections_table: str = "Connections",
        *,
        user_cache_seconds: float = 300.0,
    ) -> None:
        names = TableNames(users_table, usage_table, jobs_table, connections_table)
        self._db = Dynamo(client, names)
        self.users = DynamoDbUserRepository(self._db, user_cache_seconds)
        self.usage = DynamoDbUsageLedger(self._db)
        self.jobs = DynamoDbJobRepository(self._db)
        self.connections = DynamoDbConnectionRepository(self._db)
        self.idempotency = DynamoDbIdempotencyStore(self._db)
        self.unsent_webhooks = DynamoDbUnsentWebhooks(self._db)

    def reserve_and_create_job(self, reservation: Reservation) -> int:
        r = reservation
        # What no stored count can admit is refused before any call (and must be:
        # `attribute_not_exists(count)` would admit a first reservation whatever the limit).
        r.check()
        tables = self._db.tables
        rest: dict[str, Any] = {
            # User.is_being_deleted as a condition: DELETE /me's mark refuses the job.
            "account": {
                "ConditionCheck": {
                    "TableName": tables.users,
                    "Key": {"userId": av(r.job.user_id)},
                    "ConditionExpression": "attribute_not_exists(deletingUntil) "
                    "OR deletingUntil <= :now",
                    "ExpressionAttributeValues": {":now": av(iso_z(r.now))},
                }
            },
            "job": {
                "Put": {
                    "TableName": tables.jobs,
                    "Item": job_item(r.job),
                    "ConditionExpression": "attribute_not_exists(jobId)",
                }
            },
        }
        if r.idempotency is not None:
            # An expired record may linger until DynamoDB's TTL sweeps it.
            condition = "attribute_not_exists(jobId) OR expiresAt <= :now"
            values = {":now": av(iso_z(r.now))}
            if r.replaces is not None:
                condition += " OR idemJobId = :replaces"
                values[":replaces"] = av(r.replaces)
            rest["idempotency"] = {
                "Put": {
                    "TableName": tables.jobs,
                    "Item": idempotency_item(r.idempotency),
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": values,
                }
            }
        if r.capacity is not None:
            # The service-wide count rides in the same transaction: no extra call.
            rest["capacity"] = self._usage_update(
                r.capacity.key, r.capacity.expires_at, r.now, units=r.units, limit=r.capacity.limit
            )
        operation = "dynamodb.reserve_and_create_job"
        # A transaction returns no values, yet the caller needs the new count. When this
        # host knows the count (DynamoDbUsageLedger.known), it sets count = known + units
        # on condition count = known, and learns the true count (ALL_OLD) if that guess was
        # stale: one call when warm.
        guess = self.usage.known(r.usage_key)
        if guess is not None and guess + r.units <= r.limit:
            exact = self._usage_update(r.usage_key, r.expires_at, r.now, units=r.units, guess=guess)
            try:
                self._db.transact({"usage": exact, **rest}, operation)
            except Refused as refused:
                if not refused.names <= {"usage", "capacity", "account"}:
                    raise
                if "account" in refused.names:
                    raise AccountDeleting() from None
                if "usage" not in refused.names:
                    raise CapacityExhausted() from None
                current = int((refused.stored["usage"] or {}).get("count", 0))
                self.usage.note(r.usage_key, current)
                r.check(used=current)
            else:
                self.usage.note(r.usage_key, guess + r.units)
                return guess + r.units
        # Otherwise the authoritative conditional increment, then a strongly consistent
        # read of the count (it may already include a concurrent reservation).
        add = self._usage_update(r.usage_key, r.expires_at, r.now, units=r.units, limit=r.limit)
        try:
            self._db.transact({"usage": add, **rest}, operation)
        except Refused as refused:
            if not refused.names <= {"usage", "capacity", "account"}:
                raise  # the job or the idempotency key was taken: ConditionFailed wins
            if "account" in refused.names:
                raise AccountDeleting() from None
            if "usage" in refused.names:
                raise QuotaExceeded() from None  # the user's own limit is the one to tell
            raise CapacityExhausted() from None
        record = self.usage.get(r.usage_key)
        return record.count if record is not None else r.units

    def _usage_update(
        self,
        usage_key: str,
        expires_at: int,
        now: datetime,
        *,
        units: int,
        guess: int | None = None,
        limit: int = 0,
    ) -> dict[str, Any]:
        """A usage item's part of a reservation: `count = guess + units` on condition
        `count = guess`, or `ADD count units` on condition `count + units <= limit`."""
        user_id, date = usage_key.split("#", 1)
        values = {
            ":u": av(user_id),
            ":d": av(date),
            ":now": av(iso_z(now)),
            ":ttl": av(expires_at),
        }
        stamp = "userId = :u, #d = :d, lastUpdated = :now, #ttl = :ttl"
        if guess is not None:
            update = f"SET #c = :next, {stamp}"
            condition = "#c = :seen" + (" OR attribute_not_exists(#c)" if guess == 0 else "")
            values |= {":next": av(guess + units), ":seen": av(guess)}
        else:
            update = f"ADD #c :units SET {stamp}"
            condition = "attribute_not_exists(#c) OR #c <= :most"
            values |= {":units": av(units), ":most": av(limit - units)}
        return {
            "Update": {
                "TableName": self._db.tables.usage,
                "Key": {"userIdDate": av(usage_key)},
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": _USAGE_NAMES,
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def delete_job(self, deletion: JobDeletion) -> None:
        """The job alone is one DeleteItem; with its idempotency record, one
        TransactWriteItems of both, the record's Delete conditioned as `deletion.forgets`
        says (a missing record passes: there is nothing to forget). A record another job
        took over cancels the transaction; the job then goes alone (a second call, on that
        rare path only)."""
        if deletion.idempotency_key is None:
            self.jobs.delete(deletion.job_id)
            return
        table = self._db.tables.jobs
        items = {
            "job": {"Delete": {"TableName": table, "Key": {"jobId": av(deletion.job_id)}}},
            "idempotency": {
                "Delete": {
                    "TableName": table,
                    "Key": {"jobId": av(idempotency_id(deletion.idempotency_key))},
                    "ConditionExpression": "attribute_not_exists(jobId) OR idemJobId = :job",
                    "ExpressionAttributeValues": {":job": av(deletion.job_id)},
                }
            },
        }
        try:
            self._db.transact(items, "dynamodb.delete_job")
        except Refused:
            self.jobs.delete(deletion.job_id)

    def apply(self, change: JobChange) -> Job:
        """A change to the job alone is one UpdateItem; one with ledger changes or a webhook
        event is one TransactWriteItems of named items (job, images, report, event, refund):
        the event is one more Put in it, no call of its own."""
        plain = change.report is None and change.event is None
        if plain and not change.refund and not change.images:
            return self.jobs.update(change)
        items: dict[str, Any] = {"job": {"Update": change_update(self._db.tables.jobs, change)}}
        if change.event is not None:
            items["event"] = unsent_put(self._db.tables.jobs, change.event)
        if change.images:
            items["images"] = self._count_images(change)
        if change.report is not None:
            items["report"] = report_update(self._db.tables.usage, change.report, change)
        refunds = dict(zip(REFUND_ITEMS, change.refund_keys, strict=False)) if change.refund else {}
        for name, key in refunds.items():
            items[name] = self._refund(key, change.refund, change)
            # The refund's effect on the count is not returned; the next reservation reads it.
            self.usage.forget(key)
        operation = f"dynamodb.{change.name}"
        for _ in range(CONFLICT_ATTEMPTS):
            try:
                self._db.transact(items, operation)
                break
            except Refused as refused:
                if "job" in refused.names:
                    raise
                # Only a ledger's guard failed. The owner has no Users record: none is
                # created (an account deleted while its job ran stays deleted). The day's
                # count is below the refund: give back what is there, never below zero.
                if "images" in refused.names:
                    del items["images"]
                for name in refused.names & refunds.keys():
                    left = int((refused.stored[name] or {}).get("count", 0))
                    if left > 0:
                        items[name] = self._refund(refunds[name], left, change, exact=True)
                    else:
                        items.pop(name)
        else:
            raise ServiceUnavailable("the usage record kept changing")
        if change.images:
            self.users.forget(change.owner)
        return change.predicted()

    def _refund(
        self, key: str, units: int, change: JobChange, *, exact: bool = False
    ) -> dict[str, Any]:
        """Give `units` back to the usage record, on condition it holds at least that many
        (or, `exact`, exactly that many: all that is left)."""
        return {
            "Update": {
                "TableName": self._db.tables.usage,
                "Key": {"userIdDate": av(key)},
                "UpdateExpression": "ADD #c :minus SET lastUpdated = :now",
                "ConditionExpression": "#c = :units" if exact else "#c >= :units",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": {
                    ":minus": av(-units),
                    ":units": av(units),
                    ":now": av(iso_z(change.predicted().updated_at)),
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _count_images(self, change: JobChange) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._db.tables.users,
                "Key": {"userId": av(change.owner)},
                "UpdateExpression": "ADD totalImagesGenerated :images",
                "ConditionExpression": "attribute_exists(userId)",
                "ExpressionAttributeValues": {":images": av(change.images)},
            }
        }
