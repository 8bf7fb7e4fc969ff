"""DynamoDB plumbing shared by the repositories: item (de)serialization and transactions."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.errors import cancellation_reasons, reraise
from profilephoto.domain.errors import ConditionFailed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Concurrent transactions on one item cancel each other (TransactionConflict); a short
# jittered retry lets the loser re-evaluate its conditions instead of answering 503.
CONFLICT_ATTEMPTS = 4


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def av(value: Any) -> Any:
    """One attribute value in DynamoDB's wire form (`{"S": ...}`, `{"N": ...}`, ...)."""
    return _serializer.serialize(_to_dynamo(value))


def to_item(plain: Mapping[str, Any]) -> dict[str, Any]:
    return {name: av(value) for name, value in plain.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _from_dynamo(_deserializer.deserialize(value)) for name, value in item.items()}


class Refused(ConditionFailed):
    """A transaction was cancelled because the conditions of the named items failed;
    `stored` holds each such item as it is (when it asked for ALL_OLD and exists)."""

    def __init__(self, stored: Mapping[str, dict[str, Any] | None]) -> None:
        super().__init__(f"condition failed on {sorted(stored)}")
        self.stored = dict(stored)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.stored)


@dataclass(frozen=True)
class TableNames:
    users: str = "Users"
    usage: str = "UsageLog"
    jobs: str = "ImageJobs"
    connections: str = "Connections"


class Dynamo:
    """The client and table names every repository of one unit of work shares."""

    def __init__(self, client: DynamoDBClient, tables: TableNames) -> None:
        self.client = client
        self.tables = tables

    def get(self, table: str, key: Mapping[str, Any], operation: str) -> dict[str, Any] | None:
        """The item under `key` read with strong consistency, or None."""
        try:
            found = self.client.get_item(TableName=table, Key=to_item(key), ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            reraise(error, operation)
        item = found.get("Item")
        return from_item(item) if item else None

    def query(self, operation: str, **request: Any) -> tuple[list[dict[str, Any]], Any]:
        """One page of a Query: the items and the LastEvaluatedKey (None at the end)."""
        try:
            page = self.client.query(**request)
        except (ClientError, BotoCoreError) as error:
            reraise(error, operation)
        return [from_item(i) for i in page.get("Items", [])], page.get("LastEvaluatedKey")

    def query_all(self, operation: str, **request: Any) -> list[dict[str, Any]]:
        items, start = self.query(operation, **request)
        while start:
            more, start = self.query(operation, **request, ExclusiveStartKey=start)
            items.extend(more)
        return items

    def transact(self, items: Mapping[str, Any], operation: str) -> None:
        """One TransactWriteItems of the named items, sent in the mapping's order.

        Refused names the items whose conditions failed, so callers interpret a
        cancellation by item name, never by position; other failures are domain errors.
        """
        names = list(items)
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                self.client.transact_write_items(TransactItems=list(items.values()))
                return
            except ClientError as error:
                reasons = cancellation_reasons(error)
                refused = {
                    name: (from_item(reason["Item"]) if reason.get("Item") else None)
                    for name, reason in zip(names, reasons, strict=False)
                    if reason.get("Code") == "ConditionalCheckFailed"
                }
                if refused:
                    raise Refused(refused) from error
                codes = [str(reason.get("Code")) for reason in reasons]
                if "TransactionConflict" in codes and attempt < CONFLICT_ATTEMPTS:
                    time.sleep(random.uniform(0, 0.02 * 2**attempt))
                    continue
                reraise(error, operation)
            except BotoCoreError as error:
                reraise(error, operation)
