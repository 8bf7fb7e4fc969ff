"""The fleet's pause on model calls: one item of the ImageJobs table, read and extended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.errors import error_code, reraise

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# An ImageJobs item with no status or owner, as idempotency records are: in no index, never
# a job (docs/api.md §5). Its `ttl` lets DynamoDB drop it a day after the pause.
PAUSE_ID = "pause#model"
KEPT_AFTER = timedelta(days=1)


class DynamoDbPauseRecord:
    """One GetItem to read the pause, one conditional UpdateItem to extend it: the
    condition (`resumeAt` absent or earlier) keeps a later pause from being shortened."""

    def __init__(self, client: DynamoDBClient, jobs_table: str = "ImageJobs") -> None:
        self._client, self._table = client, jobs_table

    def paused_until(self) -> datetime | None:
        try:
            found = self._client.get_item(
                TableName=self._table,
                Key={"jobId": {"S": PAUSE_ID}},
                ProjectionExpression="resumeAt",
            )
        except (ClientError, BotoCoreError) as error:
            reraise(error, "dynamodb.pause.get")
        item = found.get("Item")
        if not item or "resumeAt" not in item:
            return None
        return datetime.fromtimestamp(float(item["resumeAt"]["N"]), UTC)

    def extend(self, until: datetime) -> None:
        at = until.timestamp()
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"jobId": {"S": PAUSE_ID}},
                UpdateExpression="SET resumeAt = :at, #ttl = :ttl",
                ConditionExpression="attribute_not_exists(resumeAt) OR resumeAt < :at",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":at": {"N": f"{at:.3f}"},
                    ":ttl": {"N": str(int(at + KEPT_AFTER.total_seconds()))},
                },
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return  # a later pause is already recorded: it stands
            reraise(error, "dynamodb.pause.extend")
        except BotoCoreError as error:
            reraise(error, "dynamodb.pause.extend")
