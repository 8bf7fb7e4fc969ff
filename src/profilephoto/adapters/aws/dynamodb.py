"""UnitOfWork on DynamoDB: each multi-item commit is one TransactWriteItems."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from profilephoto.adapters.aws.dynamodb_items import Dynamo, TableNames, WrongGuess, av
from profilephoto.adapters.aws.dynamodb_jobs import (
    DynamoDbJobRepository,
    allowed_sources,
    change_update,
    job_item,
    status_condition,
)
from profilephoto.adapters.aws.dynamodb_records import (
    DynamoDbConnectionRepository,
    DynamoDbIdempotencyStore,
    DynamoDbUsageLedger,
    DynamoDbUserRepository,
    idempotency_item,
)
from profilephoto.domain.errors import ConditionFailed, QuotaExceeded
from profilephoto.domain.job_lifecycle import JobChange
from profilephoto.domain.models import IdempotencyRecord, Job, JobError, JobStatus, iso_z
from profilephoto.domain.quota import usage_key as make_usage_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_USAGE_NAMES = {"#c": "count", "#d": "date", "#ttl": "ttl"}


class DynamoDbUnitOfWork:
    def __init__(
        self,
        client: DynamoDBClient,
        users_table: str = "Users",
        usage_table: str = "UsageLog",
        jobs_table: str = "ImageJobs",
        connections_table: str = "Connections",
        *,
        user_cache_ttl: float = 300.0,
    ) -> None:
        names = TableNames(users_table, usage_table, jobs_table, connections_table)
        self._db = Dynamo(client, names)
        self.users = DynamoDbUserRepository(self._db, user_cache_ttl)
        self.usage = DynamoDbUsageLedger(self._db)
        self.jobs = DynamoDbJobRepository(self._db)
        self.connections = DynamoDbConnectionRepository(self._db)
        self.idempotency = DynamoDbIdempotencyStore(self._db)

    def reserve_and_create_job(
        self,
        job: Job,
        usage_key: str,
        limit: int,
        expires_at: int,
        now: datetime,
        idempotency: IdempotencyRecord | None = None,
    ) -> int:
        if limit <= 0:
            # `attribute_not_exists(count)` would admit a first unit whatever the limit.
            raise QuotaExceeded()
        tables = self._db.tables
        rest: list[Any] = [
            {
                "Put": {
                    "TableName": tables.jobs,
                    "Item": job_item(job),
                    "ConditionExpression": "attribute_not_exists(jobId)",
                }
            }
        ]
        if idempotency is not None:
            rest.append(
                {
                    "Put": {
                        "TableName": tables.jobs,
                        "Item": idempotency_item(idempotency),
                        # An expired record may linger until DynamoDB's TTL sweeps it.
                        "ConditionExpression": "attribute_not_exists(jobId) OR expiresAt <= :now",
                        "ExpressionAttributeValues": {":now": av(iso_z(now))},
                    }
                }
            )
        operation = "dynamodb.reserve_and_create_job"
        # A transaction returns no values, yet the caller needs the new count. When this
        # host knows the count, it sets count = known + 1 on condition count = known, and
        # learns the true count (ALL_OLD) if that guess was stale: one call when warm.
        guess = self.usage.known(usage_key)
        if guess is not None and guess < limit:
            exact = self._usage_update(usage_key, expires_at, now, guess=guess)
            try:
                self._db.transact([exact, *rest], operation, guessed_item=0)
            except WrongGuess as wrong:
                current = int((wrong.current or {}).get("count", 0))
                self.usage.note(usage_key, current)
                if current >= limit:
                    raise QuotaExceeded() from None
            else:
                self.usage.note(usage_key, guess + 1)
                self.jobs.remember(job)
                return guess + 1
        # Otherwise the authoritative conditional increment, then a strongly consistent
        # read of the count (it may already include a concurrent reservation).
        add = self._usage_update(usage_key, expires_at, now, limit=limit)
        self._db.transact([add, *rest], operation, quota_items={0})
        self.jobs.remember(job)
        record = self.usage.get(usage_key)
        return record.count if record is not None else 1

    def _usage_update(
        self,
        usage_key: str,
        expires_at: int,
        now: datetime,
        *,
        guess: int | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """The usage item's half of a reservation: `count = guess + 1` on condition
        `count = guess`, or `ADD count 1` on condition `count < limit`."""
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
            values |= {":next": av(guess + 1), ":seen": av(guess)}
        else:
            update = f"ADD #c :one SET {stamp}"
            condition = "attribute_not_exists(#c) OR #c < :limit"
            values |= {":one": av(1), ":limit": av(limit)}
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

    def fail_job(
        self,
        job_id: str,
        expected: frozenset[JobStatus],
        error: JobError,
        refund: bool,
        now: datetime,
    ) -> Job:
        sources = allowed_sources(expected, JobStatus.FAILED)
        if not sources:
            raise ConditionFailed(f"job {job_id} cannot fail from {sorted(expected)}")
        job = self.jobs.snapshot(job_id)
        condition, values = status_condition(sources)
        mark_failed = {
            "Update": {
                "TableName": self._db.tables.jobs,
                "Key": {"jobId": av(job_id)},
                "UpdateExpression": "SET #s = :failed, #e = :error, updatedAt = :now"
                " REMOVE leaseExpiresAt",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#s": "status", "#e": "error"},
                "ExpressionAttributeValues": values
                | {
                    ":failed": av(JobStatus.FAILED.value),
                    ":error": av(error.to_json_dict()),
                    ":now": av(iso_z(now)),
                },
            }
        }
        self._commit_with_refund(
            [mark_failed], job, job.count if refund else 0, now, "dynamodb.fail_job"
        )
        failed = job.model_copy(
            update={
                "status": JobStatus.FAILED,
                "error": error,
                "updated_at": now,
                "lease_expires_at": None,
            }
        )
        return self.jobs.remember(failed)

    def complete_job(
        self,
        job_id: str,
        output_image_url: str,
        processing_time: int,
        metadata: dict[str, object],
        now: datetime,
    ) -> Job:
        job = self.jobs.snapshot(job_id)
        stamp = av(iso_z(now))
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self._db.tables.jobs,
                    "Key": {"jobId": av(job_id)},
                    "UpdateExpression": "SET #s = :completed, outputImageUrl = :out,"
                    " processingTime = :ms, #m = :meta, updatedAt = :now REMOVE leaseExpiresAt",
                    "ConditionExpression": "#s = :processing",
                    "ExpressionAttributeNames": {"#s": "status", "#m": "metadata"},
                    "ExpressionAttributeValues": {
                        ":completed": av(JobStatus.COMPLETED.value),
                        ":processing": av(JobStatus.PROCESSING.value),
                        ":out": av(output_image_url),
                        ":ms": av(processing_time),
                        ":meta": av(dict(metadata)),
                        ":now": stamp,
                    },
                }
            },
            self._count_images(job.user_id, 1, now),
        ]
        self._db.transact(items, "dynamodb.complete_job")
        self.users.forget(job.user_id)
        done = job.model_copy(
            update={
                "status": JobStatus.COMPLETED,
                "output_image_url": output_image_url,
                "processing_time": processing_time,
                "metadata": dict(metadata),
                "updated_at": now,
                "lease_expires_at": None,
            }
        )
        return self.jobs.remember(done)

    def apply(self, change: JobChange) -> Job:
        job = change.job  # owner and quota day never change, so no read is needed
        moved = job.model_copy(update=dict(change.updates))
        items: list[Any] = [change_update(self._db.tables.jobs, change)]
        if change.images:
            items.append(self._count_images(job.user_id, change.images, moved.updated_at))
        self._commit_with_refund(items, job, change.refund, moved.updated_at, "dynamodb.apply")
        if change.images:
            self.users.forget(job.user_id)
        return self.jobs.remember(moved)

    def _commit_with_refund(
        self, writes: list[Any], job: Job, units: int, now: datetime, operation: str
    ) -> None:
        """One transaction of `writes` plus, when `units` > 0, giving them back to the day
        the job was charged to."""
        if not units:
            self._db.transact(writes, operation)
            return
        key = make_usage_key(job.user_id, job.quota_date)
        refund = {
            "Update": {
                "TableName": self._db.tables.usage,
                "Key": {"userIdDate": av(key)},
                "UpdateExpression": "ADD #c :minus SET lastUpdated = :now",
                "ConditionExpression": "#c >= :units",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": {
                    ":minus": av(-units),
                    ":units": av(units),
                    ":now": av(iso_z(now)),
                },
            }
        }
        # The refund's effect on the count is not returned; the next reservation reads it.
        self.usage.forget(key)
        try:
            self._db.transact([*writes, refund], operation, quota_items={len(writes)})
        except QuotaExceeded:
            # Only the refund's guard failed: the day's count is already below what the job
            # holds (or the record is gone), so the ledger cannot give that much back. The
            # job must still move, and its own status condition keeps this retry from
            # refunding twice.
            self._db.transact(writes, operation)

    def _count_images(self, user_id: str, images: int, now: datetime) -> dict[str, Any]:
        # ADD creates the user record if the owner never logged in through us, with the
        # timestamps a User needs.
        return {
            "Update": {
                "TableName": self._db.tables.users,
                "Key": {"userId": av(user_id)},
                "UpdateExpression": "ADD totalImagesGenerated :images"
                " SET createdAt = if_not_exists(createdAt, :now),"
                " lastLoginAt = if_not_exists(lastLoginAt, :now)",
                "ExpressionAttributeValues": {":images": av(images), ":now": av(iso_z(now))},
            }
        }
