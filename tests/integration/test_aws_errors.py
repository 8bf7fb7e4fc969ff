"""AWS failures reach the domain as domain errors, never as botocore's ClientError."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from botocore.stub import Stubber

from profilephoto.adapters.aws import DynamoDbUnitOfWork, S3ObjectStore, SqsJobQueue
from profilephoto.adapters.aws.errors import translate
from profilephoto.domain.errors import (
    ConditionFailed,
    ObjectNotFound,
    ProfilePhotoError,
    QueueUnavailable,
    QuotaExceeded,
    ServiceUnavailable,
)
from profilephoto.domain.job_lifecycle import mark_queued
from profilephoto.domain.models import JobMessage
from profilephoto.domain.reservation import Reservation
from tests.integration.aws_fixtures import REGION, fake_credentials
from tests.jobs import make_job

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
JOB = make_job(1, at=NOW, input_image_url="s3://b/uploads/alice/k.jpg")


@pytest.fixture(autouse=True)
def _credentials():
    with fake_credentials():
        yield


def stubbed(service: str):
    client = boto3.client(service, region_name=REGION)
    return client, Stubber(client)


def cancelled(stubber: Stubber, *codes: str) -> None:
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": c} for c in codes]},
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
        ("InternalServerError", 500),
        ("SomethingNew", 503),
    ],
)
def test_throttling_and_server_errors_become_service_unavailable(code, status):
    client, stubber = stubbed("dynamodb")
    stubber.add_client_error("get_item", service_error_code=code, http_status_code=status)
    with stubber, pytest.raises(ServiceUnavailable):
        DynamoDbUnitOfWork(client).usage.get("alice#2026-11-29")


def test_a_failed_condition_becomes_condition_failed():
    client, stubber = stubbed("dynamodb")
    stubber.add_client_error("update_item", service_error_code="ConditionalCheckFailedException")
    with stubber, pytest.raises(ConditionFailed):
        DynamoDbUnitOfWork(client).apply(mark_queued(JOB, NOW))


def test_a_cancelled_reservation_is_quota_exceeded_when_only_the_usage_item_failed():
    client, stubber = stubbed("dynamodb")
    cancelled(stubber, "ConditionalCheckFailed", "None")
    with stubber, pytest.raises(QuotaExceeded):
        DynamoDbUnitOfWork(client).reserve_and_create_job(
            Reservation(JOB, "alice#2026-11-29", 5, 1, NOW)
        )


def test_a_cancelled_reservation_is_condition_failed_when_the_job_item_failed():
    client, stubber = stubbed("dynamodb")
    # The transaction's items in order: usage, account (DELETE /me's mark), job.
    cancelled(stubber, "ConditionalCheckFailed", "None", "ConditionalCheckFailed")
    with stubber, pytest.raises(ConditionFailed):
        DynamoDbUnitOfWork(client).reserve_and_create_job(
            Reservation(JOB, "alice#2026-11-29", 5, 1, NOW)
        )


def test_a_transaction_conflict_is_retried_before_giving_up():
    client, stubber = stubbed("dynamodb")
    cancelled(stubber, "TransactionConflict", "None")
    stubber.add_response("transact_write_items", {})
    stubber.add_response(
        "get_item",
        {
            "Item": {
                "userIdDate": {"S": "alice#2026-11-29"},
                "userId": {"S": "alice"},
                "date": {"S": "2026-11-29"},
                "count": {"N": "3"},
                "lastUpdated": {"S": "2026-11-29T12:00:00.000Z"},
            }
        },
    )
    with stubber:
        used = DynamoDbUnitOfWork(client).reserve_and_create_job(
            Reservation(JOB, "alice#2026-11-29", 5, 1, NOW)
        )
    assert used == 3


def test_s3_not_found_is_none_on_peek_and_object_not_found_on_read():
    client, stubber = stubbed("s3")
    stubber.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    stubber.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    store = S3ObjectStore(client, "bucket")
    with stubber:
        assert store.peek("uploads/alice/none.jpg", 16) is None
        with pytest.raises(ObjectNotFound):
            store.read("uploads/alice/none.jpg")


def test_s3_slow_down_becomes_service_unavailable():
    client, stubber = stubbed("s3")
    stubber.add_client_error("put_object", service_error_code="SlowDown", http_status_code=503)
    with stubber, pytest.raises(ServiceUnavailable):
        S3ObjectStore(client, "bucket").write("results/a.png", b"x", "image/png")


def test_an_unreachable_queue_is_queue_unavailable():
    client = boto3.client(
        "sqs",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    message = JobMessage(job_id=JOB.job_id, user_id="alice", file_key="k", style="s")
    with pytest.raises(QueueUnavailable):
        SqsJobQueue(client, "http://127.0.0.1:9/123/q").send(message)


def test_network_errors_are_transient_and_missing_credentials_are_not():
    assert isinstance(
        translate(EndpointConnectionError(endpoint_url="https://x"), "op"), ServiceUnavailable
    )
    missing = translate(NoCredentialsError(), "op")
    assert type(missing) is ProfilePhotoError
