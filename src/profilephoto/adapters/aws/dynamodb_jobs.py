"""JobRepository on the ImageJobs table: conditional transitions and the two GSI queries."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.dynamodb_items import Dynamo, av, from_item, to_item
from profilephoto.adapters.aws.errors import aws_errors, reraise
from profilephoto.domain.errors import ConditionFailed, InvalidRequest
from profilephoto.domain.job_lifecycle import JobChange, sources_of
from profilephoto.domain.models import Job, JobPage, JobStatus, iso_z, parse_iso
from profilephoto.domain.pagination import decode_cursor, encode_cursor

CURSOR_KEYS = frozenset({"userId", "createdAt", "jobId"})
USER_INDEX = "UserIdCreatedAtIndex"
STATUS_INDEX = "StatusIndex"
SNAPSHOTS = 1024


def job_item(job: Job) -> dict[str, Any]:
    return to_item(job.to_json_dict())


def job_from(plain: dict[str, Any]) -> Job:
    return Job.model_validate(plain)


def allowed_sources(expected: frozenset[JobStatus], target: JobStatus) -> list[JobStatus]:
    """check_transition as data: the states in `expected` from which `target` is reachable."""
    return sorted(expected & sources_of(target))


def status_condition(sources: list[JobStatus]) -> tuple[str, dict[str, Any]]:
    """`#s IN (:s0, ...)`; a missing item has no status, so this also requires the job."""
    values = {f":s{i}": av(s.value) for i, s in enumerate(sources)}
    return f"#s IN ({', '.join(values)})", values


def change_update(table: str, change: JobChange) -> dict[str, Any]:
    """The job's half of `UnitOfWork.apply`: SET (or REMOVE, for None) each updated attribute,
    on condition that the stored status is one the change may start from."""
    sources = allowed_sources(change.expected, change.target)
    if not sources:
        raise ConditionFailed(f"job {change.job.job_id} cannot become {change.target}")
    condition, values = status_condition(sources)
    names = {"#s": "status"}
    written = change.job.model_copy(update=dict(change.updates)).to_json_dict()
    sets: list[str] = []
    removes: list[str] = []
    for n, field in enumerate(sorted(change.updates)):
        attribute = Job.model_fields[field].alias or field
        placeholder = "#s" if attribute == "status" else f"#u{n}"
        names[placeholder] = attribute
        if attribute in written:
            sets.append(f"{placeholder} = :u{n}")
            values[f":u{n}"] = av(written[attribute])
        else:
            removes.append(placeholder)
    update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return {
        "Update": {
            "TableName": table,
            "Key": {"jobId": av(change.job.job_id)},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


class DynamoDbJobRepository:
    def __init__(self, db: Dynamo) -> None:
        self._db = db
        # The last state this process saw of recent jobs. Owner and quota day never change,
        # so the commits use them to find the usage and user items without a read first.
        self._snapshots: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, job: Job) -> Job:
        with self._lock:
            self._snapshots[job.job_id] = job
            self._snapshots.move_to_end(job.job_id)
            while len(self._snapshots) > SNAPSHOTS:
                self._snapshots.popitem(last=False)
        return job

    def snapshot(self, job_id: str) -> Job:
        """The last known state of the job (read if unknown); ConditionFailed if missing."""
        with self._lock:
            known = self._snapshots.get(job_id)
        if known is not None:
            return known
        found = self.get(job_id)
        if found is None:
            raise ConditionFailed(f"no job {job_id}")
        return found

    def get(self, job_id: str) -> Job | None:
        plain = self._db.get(self._db.tables.jobs, {"jobId": job_id}, "dynamodb.jobs.get")
        # Idempotency records share the table but have no status: they are not jobs.
        if plain is None or "status" not in plain:
            return None
        return self.remember(job_from(plain))

    def transition(
        self,
        job_id: str,
        expected: frozenset[JobStatus],
        target: JobStatus,
        now: datetime,
        *,
        lease_expires_at: datetime | None = None,
        count_attempt: bool = False,
        require_lease_expired: bool = False,
        match: Mapping[str, str] | None = None,
    ) -> Job:
        sources = allowed_sources(expected, target)
        if not sources:
            raise ConditionFailed(f"job {job_id} cannot move to {target} from {sorted(expected)}")
        condition, values = status_condition(sources)
        values |= {":target": av(target.value), ":now": av(iso_z(now))}
        sets = ["#s = :target", "updatedAt = :now"]
        if lease_expires_at is not None:
            sets.append("leaseExpiresAt = :lease")
            values[":lease"] = av(iso_z(lease_expires_at))
        update = "SET " + ", ".join(sets)
        if lease_expires_at is None:
            update += " REMOVE leaseExpiresAt"
        if count_attempt:
            update += " ADD attempts :one"
            values[":one"] = av(1)
        if require_lease_expired:
            # lease_is_live as a condition: only a processing job with a future lease is held.
            condition += (
                " AND (#s <> :processing OR attribute_not_exists(leaseExpiresAt)"
                " OR leaseExpiresAt <= :now)"
            )
            values[":processing"] = av(JobStatus.PROCESSING.value)
        names = {"#s": "status"}
        for n, (attribute, value) in enumerate(sorted((match or {}).items())):
            condition += f" AND #m{n} = :m{n}"
            names[f"#m{n}"] = attribute
            values[f":m{n}"] = av(value)
        try:
            found = self._db.client.update_item(
                TableName=self._db.tables.jobs,
                Key={"jobId": av(job_id)},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except (ClientError, BotoCoreError) as error:
            reraise(error, "dynamodb.jobs.transition")
        return self.remember(job_from(from_item(found["Attributes"])))

    def delete(self, job_id: str) -> None:
        with aws_errors("dynamodb.jobs.delete"):
            self._db.client.delete_item(TableName=self._db.tables.jobs, Key={"jobId": av(job_id)})
        with self._lock:
            self._snapshots.pop(job_id, None)

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

    def list_stuck(self, status: JobStatus, created_before: datetime, limit: int) -> list[Job]:
        items, _ = self._db.query(
            "dynamodb.jobs.list_stuck",
            TableName=self._db.tables.jobs,
            IndexName=STATUS_INDEX,
            KeyConditionExpression="#s = :s AND createdAt < :t",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": av(status.value), ":t": av(iso_z(created_before))},
            ScanIndexForward=True,
            Limit=limit,
        )
        return [self.remember(job_from(i)) for i in items]


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
