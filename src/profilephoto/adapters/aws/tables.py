"""The four DynamoDB tables of docs/api.md §5, for tests, benchmarks and local stacks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from profilephoto.adapters.aws.dynamodb_items import TableNames

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _index(name: str, partition: str, sort: str | None = None) -> dict[str, Any]:
    schema = [{"AttributeName": partition, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort, "KeyType": "RANGE"})
    return {"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}


def _hash(name: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": "HASH"}]


def _strings(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


def table_definitions(names: TableNames | None = None) -> list[dict[str, Any]]:
    """CreateTable requests: keys, GSIs (all attributes projected), on-demand billing."""
    names = names or TableNames()
    return [
        {
            "TableName": names.users,
            "KeySchema": _hash("userId"),
            "AttributeDefinitions": _strings("userId"),
        },
        {
            "TableName": names.usage,
            "KeySchema": _hash("userIdDate"),
            "AttributeDefinitions": _strings("userIdDate", "userId", "date"),
            "GlobalSecondaryIndexes": [_index("UserIdIndex", "userId", "date")],
        },
        {
            "TableName": names.jobs,
            "KeySchema": _hash("jobId"),
            "AttributeDefinitions": _strings("jobId", "userId", "createdAt", "status"),
            "GlobalSecondaryIndexes": [
                _index("UserIdCreatedAtIndex", "userId", "createdAt"),
                _index("StatusIndex", "status", "createdAt"),
            ],
        },
        {
            "TableName": names.connections,
            "KeySchema": _hash("connectionId"),
            "AttributeDefinitions": _strings("connectionId", "userId"),
            "GlobalSecondaryIndexes": [_index("UserIdIndex", "userId")],
        },
    ]


# Tables whose items carry an epoch-seconds `ttl` that DynamoDB may expire.
_TTL_TABLES = ("usage", "jobs", "connections")


def create_tables(client: DynamoDBClient, names: TableNames | None = None) -> None:
    """Create the four tables (PAY_PER_REQUEST) and turn on `ttl` expiry where items set it."""
    names = names or TableNames()
    for definition in table_definitions(names):
        client.create_table(**definition, BillingMode="PAY_PER_REQUEST")
    waiter = client.get_waiter("table_exists")
    for definition in table_definitions(names):
        waiter.wait(TableName=definition["TableName"], WaiterConfig={"Delay": 1})
    for attribute in _TTL_TABLES:
        client.update_time_to_live(
            TableName=getattr(names, attribute),
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
        )
