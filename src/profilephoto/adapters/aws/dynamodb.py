"""UnitOfWork on DynamoDB: each multi-item commit is one TransactWriteItems."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from profilephoto.adapters.aws.dynamodb_items import Dynamo, TableNames, av
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
        user_id, date = usage_key.split("#", 1)
        items: list[Any] = [
            {
                "Update": {
                    "TableName": tables.usage,
                    "Key": {"userIdDate": av(usage_key)},
                    "UpdateExpression": (
                        "ADD #c :one SET userId = :u, #d = :d, lastUpdated = :now, #ttl = :ttl"
                    ),
                    "ConditionExpression": "attribute_not_exists(#c) OR #c < :limit",
                    "ExpressionAttributeNames": _USAGE_NAMES,
                    "ExpressionAttributeValues": {
                        ":one": av(1),
                        ":u": av(user_id),
                        ":d": av(date),
                        ":now": av(iso_z(now)),
                        ":ttl": av(expires_at),
                        ":limit": av(limit),
                    },
                }
            },
            {
                "Put": {
                    "TableName": tables.jobs,
                    "Item": job_item(job),
                    "ConditionExpression": "attribute_not_exists(jobId)",
                }
            },
        ]
        if idempotency is not None:
            items.append(
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
        self._db.transact(items, "dynamodb.reserve_and_create_job", quota_items={0})
        self.jobs.remember(job)
        # A transaction returns no values, so the new count is read back (strongly
        # consistent); a concurrent reservation may already be included, which only
        # makes the reported remaining quota current rather than stale.
        record = self.usage.get(usage_key)
        return record.count if record is not None else 1

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
