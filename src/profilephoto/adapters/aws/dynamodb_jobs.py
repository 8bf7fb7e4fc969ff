"""JobRepository on the ImageJobs table: a job change as one UpdateItem, and the GSI queries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.dynamodb_items import Dynamo, av, from_item, to_item
from profilephoto.adapters.aws.errors import aws_errors, reraise
from profilephoto.domain.errors import InvalidRequest
from profilephoto.domain.job_lifecycle import Describes, Guard, JobChange, LeaseFree, LeaseHeld
from profilephoto.domain.models import Job, JobPage, JobStatus, iso_z, parse_iso
from profilephoto.domain.pagination import decode_cursor, encode_cursor

CURSOR_KEYS = frozenset({"userId", "createdAt", "jobId"})
JOB_STATUSES = frozenset(s.value for s in JobStatus)
USER_INDEX = "UserIdCreatedAtIndex"
STATUS_INDEX = "StatusIndex"


def job_item(job: Job) -> dict[str, Any]:
    return to_item(job.to_json_dict())


def job_from(plain: dict[str, Any]) -> Job:
    return Job.model_validate(plain)


def attribute(field: str) -> str:
    """The stored name of a Job field (its camelCase JSON name)."""
    return Job.model_fields[field].alias or field


def stored_values(updates: Mapping[str, Any]) -> dict[str, Any]:
    """Job fields under their stored names, in their stored (JSON) form, as `job_item`
    writes them."""
    dumped: dict[str, Any] = Job.model_construct(**updates).model_dump(
        include=set(updates), by_alias=True, mode="json"
    )
    return dumped


class _Expression:
    """Placeholders for one UpdateItem: every name and value goes through #n / :v."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def field(self, field: str) -> str:
        return self.name(attribute(field))

    def name(self, stored: str) -> str:
        known = next((p for p, name in self.names.items() if name == stored), None)
        if known is not None:
            return known
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = stored
        return placeholder

    def value(self, stored: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = av(stored)
        return placeholder


def _guard_condition(guard: Guard, x: _Expression) -> str:
    """A domain guard as a DynamoDB condition (the same rule as `guard.holds`)."""
    match guard:
        case LeaseFree(at=at):
            lease = x.field("lease_expires_at")
            return (
                f"({x.field('status')} <> {x.value(JobStatus.PROCESSING.value)}"
                f" OR attribute_not_exists({lease}) OR {lease} <= {x.value(iso_z(at))})"
            )
        case LeaseHeld(until=until):
            if until is None:  # never claimed: a claim would have written a lease
                return f"attribute_not_exists({x.field('lease_expires_at')})"
            return f"{x.field('lease_expires_at')} = {x.value(iso_z(until))}"
        case Describes(user_id=user_id, style=style, input_image_url=input_image_url):
            return " AND ".join(
                f"{x.field(field)} = {x.value(value)}"
                for field, value in (
                    ("user_id", user_id),
                    ("style", style),
                    ("input_image_url", input_image_url),
                )
            )


def change_update(table: str, change: JobChange) -> dict[str, Any]:
    """The job's half of a change: SET (or REMOVE, for None) each updated field and ADD the
    attempts, on condition that the stored status and every guard hold."""
    x = _Expression()
    sources = ", ".join(x.value(s.value) for s in sorted(change.expected))
    # A missing item has no status, so this also requires the job to exist.
    conditions = [f"{x.field('status')} IN ({sources})"]
    conditions += [_guard_condition(guard, x) for guard in change.guards]
    sets, removes = [], []
    for name, stored in stored_values(change.updates).items():
        if stored is None:
            removes.append(x.name(name))
        else:
            sets.append(f"{x.name(name)} = {x.value(stored)}")
    update = "SET " + ", ".join(sets)
    if removes:
        update += " REMOVE " + ", ".join(removes)
    if change.attempts_added:
        update += f" ADD {x.field('attempts')} {x.value(change.attempts_added)}"
    return {
        "TableName": table,
        "Key": {"jobId": av(change.job_id)},
        "UpdateExpression": update,
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": x.names,
        "ExpressionAttributeValues": x.values,
    }


class DynamoDbJobRepository:
    def __init__(self, db: Dynamo) -> None:
        self._db = db

    def get(self, job_id: str) -> Job | None:
        plain = self._db.get(self._db.tables.jobs, {"jobId": job_id}, "dynamodb.jobs.get")
        # Idempotency records share the table but have no status, and unsent webhook events
        # (dynamodb_outbox) have one no job has: they are not jobs.
        if plain is None or plain.get("status") not in JOB_STATUSES:
            return None
        return job_from(plain)

    def update(self, change: JobChange) -> Job:
        """Apply a change that touches the job alone: one UpdateItem, the new job returned."""
        try:
            found = self._db.client.update_item(
                **change_update(self._db.tables.jobs, change), ReturnValues="ALL_NEW"
            )
        except (ClientError, BotoCoreError) as error:
            reraise(error, f"dynamodb.jobs.{change.name}")
        return job_from(from_item(found["Attributes"]))

    def delete(self, job_id: str) -> None:
        with aws_errors("dynamodb.jobs.delete"):
            self._db.client.delete_item(TableName=self._db.tables.jobs, Key={"jobId": av(job_id)})

    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> JobPage:
        request: dict[str, Any] = {
            "TableName": self._db.tables.jobs,
            "IndexName": USER_INDEX,
            "KeyConditionExpression": "userId = :u",
            "ExpressionAttributeValues": {":u": av(user_id)},
            "ScanIndexForward": False,
            # One more than asked tells whether another page exists, so the last page
            # carries no token (a bare LastEvaluatedKey may point at nothing).
            "Limit": limit + 1,
        }
        if cursor:
            request["ExclusiveStartKey"] = to_item(_position(cursor, user_id))
        items, last_key = self._db.query("dynamodb.jobs.list_for_user", **request)
        page = [job_from(i) for i in items[:limit]]
        more = len(items) > limit or (last_key is not None and len(page) == limit)
        token = None
        if more and page:
            tail = page[-1].to_json_dict()
            token = encode_cursor(
                {"userId": user_id, "createdAt": tail["createdAt"], "jobId": tail["jobId"]}
            )
        return JobPage(items=page, next_token=token)

    def list_created(self, status: JobStatus, start: datetime, end: datetime) -> list[Job]:
        # BETWEEN is inclusive; a job created exactly at `end` is left out below.
        items = self._db.query_all(
            "dynamodb.jobs.list_created",
            TableName=self._db.tables.jobs,
            IndexName=STATUS_INDEX,
            KeyConditionExpression="#s = :s AND createdAt BETWEEN :a AND :b",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":s": av(status.value),
                ":a": av(iso_z(start)),
                ":b": av(iso_z(end)),
            },
            ScanIndexForward=True,
        )
        return [job for job in map(job_from, items) if job.created_at < end]

    def list_created_before(
        self, status: JobStatus, created_before: datetime, limit: int
    ) -> list[Job]:
        items, _ = self._db.query(
            "dynamodb.jobs.list_created_before",
            TableName=self._db.tables.jobs,
            IndexName=STATUS_INDEX,
            KeyConditionExpression="#s = :s AND createdAt < :t",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": av(status.value), ":t": av(iso_z(created_before))},
            ScanIndexForward=True,
            Limit=limit,
        )
        return [job_from(i) for i in items]


def _position(cursor: str, user_id: str) -> dict[str, str]:
    """The decoded cursor, also checked for values DynamoDB would refuse as a start key."""
    position = decode_cursor(cursor, CURSOR_KEYS, user_id)
    try:
        parse_iso(position["createdAt"])
    except ValueError as exc:
        raise InvalidRequest("nextToken is not valid") from exc
    if not position["jobId"]:
        raise InvalidRequest("nextToken is not valid")
    return position
