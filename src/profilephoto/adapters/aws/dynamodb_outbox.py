"""UnsentWebhooks on the ImageJobs table: the webhook events kept by the commits that ended
their jobs, as items that never read as a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from profilephoto.adapters.aws.dynamodb_items import Dynamo, av, to_item
from profilephoto.adapters.aws.dynamodb_jobs import STATUS_INDEX
from profilephoto.adapters.aws.errors import aws_errors
from profilephoto.domain.models import iso_z
from profilephoto.domain.webhooks import DELIVERY_WINDOW, WebhookEvent

# Under a `status` no job has, so StatusIndex finds them by age in one Query and every job
# listing (each asks for a job status, or the owner's index, which they are not in) misses
# them; `jobId` is `webhook#<event id>`. An event past DELIVERY_WINDOW would be abandoned
# anyway: the `ttl` lets DynamoDB drop one that nothing sent by then.
UNSENT = "webhook#unsent"


def event_key(event_id: str) -> dict[str, Any]:
    return {"jobId": av(f"webhook#{event_id}")}


def unsent_put(table: str, event: WebhookEvent) -> dict[str, Any]:
    """The Put that keeps the event, one item of the transaction that ends its job."""
    expires = int((event.occurred_at + DELIVERY_WINDOW).timestamp())
    item = to_item(
        {
            "status": UNSENT,
            "createdAt": iso_z(event.occurred_at),
            "event": event.model_dump_json(),
            "ttl": expires,
        }
    )
    return {"Put": {"TableName": table, "Item": {**event_key(event.id), **item}}}


class DynamoDbUnsentWebhooks:
    """One Query of StatusIndex to list them, one DeleteItem to forget one."""

    def __init__(self, db: Dynamo) -> None:
        self._db = db

    def older_than(self, moment: datetime, limit: int) -> list[WebhookEvent]:
        items, _ = self._db.query(
            "dynamodb.unsent_webhooks.older_than",
            TableName=self._db.tables.jobs,
            IndexName=STATUS_INDEX,
            KeyConditionExpression="#s = :s AND createdAt < :t",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": av(UNSENT), ":t": av(iso_z(moment))},
            ScanIndexForward=True,
            Limit=limit,
        )
        return [WebhookEvent.model_validate_json(item["event"]) for item in items]

    def remove(self, event_id: str) -> None:
        with aws_errors("dynamodb.unsent_webhooks.remove"):
            self._db.client.delete_item(TableName=self._db.tables.jobs, Key=event_key(event_id))
