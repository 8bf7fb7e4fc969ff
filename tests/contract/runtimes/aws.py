"""The AWS adapters on moto: DynamoDB and SQS in-process, S3 over real HTTP to moto's server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from profilephoto.adapters.aws import S3ObjectStore, SqsJobQueue
from profilephoto.adapters.aws.dynamodb_pauses import DynamoDbPauseRecord
from profilephoto.domain.models import PresignedRequest
from profilephoto.domain.ports import UnitOfWork
from tests.contract.runtimes import PauseHarness, QueueHarness, StoreHarness
from tests.integration.aws_fixtures import (
    REGION,
    bucket_on_server,
    dynamodb_unit_of_work,
    fail_next_call,
    http_put,
    mocked_aws,
    receive_all,
)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    with dynamodb_unit_of_work() as (uow, _):
        yield uow


@contextmanager
def object_store() -> Iterator[StoreHarness]:
    with bucket_on_server() as (client, bucket):

        def upload(request: PresignedRequest, data: bytes) -> None:
            http_put(request, data)

        yield StoreHarness(S3ObjectStore(client, bucket), upload)


@contextmanager
def job_queue() -> Iterator[QueueHarness]:
    with mocked_aws():
        client = boto3.client("sqs", region_name=REGION)
        url = client.create_queue(QueueName="generation")["QueueUrl"]
        yield QueueHarness(
            SqsJobQueue(client, url),
            lambda: receive_all(client, url),
            lambda: fail_next_call(client, "SQS.SendMessage"),
        )


@contextmanager
def pause_record() -> Iterator[PauseHarness]:
    with dynamodb_unit_of_work() as (_, client):
        # Each worker (Lambda container) has its own client; they share the table.
        yield PauseHarness(
            DynamoDbPauseRecord(client),
            lambda: DynamoDbPauseRecord(boto3.client("dynamodb", region_name=REGION)),
            lambda: fail_next_call(client, "DynamoDB.GetItem"),
        )
