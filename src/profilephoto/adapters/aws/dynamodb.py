"""UnitOfWork on DynamoDB: each multi-item commit is one TransactWriteItems."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from profilephoto.adapters.aws.dynamodb_items import Dynamo, TableNames, WrongGuess, av
from profilephoto.adapters.aws.dynamodb_jobs import (
    DynamoDbJobRepository,
    allowed_sources,
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
        items: list[Any] = [mark_failed]
        if refund:
            items.append(
                {
                    "Update": {
                        "TableName": self._db.tables.usage,
                        "Key": {"userIdDate": av(make_usage_key(job.user_id, job.quota_date))},
                        "UpdateExpression": "ADD #c :minus SET lastUpdated = :now",
                        "ConditionExpression": "#c > :zero",
                        "ExpressionAttributeNames": {"#c": "count"},
                        "ExpressionAttributeValues": {
                            ":minus": av(-1),
                            ":zero": av(0),
                            ":now": av(iso_z(now)),
                        },
                    }
                }
            )
        if refund:
            # The refund's effect on the count is not returned; the next reservation reads it.
            self.usage.forget(make_usage_key(job.user_id, job.quota_date))
        try:
            self._db.transact(items, "dynamodb.fail_job", quota_items={1})
        except QuotaExceeded:
            # Only the refund's guard failed: the day's count is already 0 (or the record
            # is gone), so there is nothing to give back. The job must still fail, and the
            # job's own status condition keeps this retry from refunding twice.
            self._db.transact([mark_failed], "dynamodb.fail_job")
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
            {
                # ADD creates the user record if the owner never logged in through us,
                # with the timestamps a User needs.
                "Update": {
                    "TableName": self._db.tables.users,
                    "Key": {"userId": av(job.user_id)},
                    "UpdateExpression": "ADD totalImagesGenerated :one"
                    " SET createdAt = if_not_exists(createdAt, :now),"
                    " lastLoginAt = if_not_exists(lastLoginAt, :now)",
                    "ExpressionAttributeValues": {":one": av(1), ":now": stamp},
                }
            },
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
