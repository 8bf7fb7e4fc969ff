"""The WebSocket notifier: pushes to every connection, forgets gone ones, never raises."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from profilephoto.adapters.aws import ApiGatewayNotifier
from profilephoto.adapters.memory import InMemoryUnitOfWork
from profilephoto.domain.models import Connection, JobError, JobStatus, JobStatusMessage
from tests.integration.aws_fixtures import REGION, fake_credentials

ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DONE = JobStatusMessage(
    job_id="job_" + "1" * 32, status=JobStatus.COMPLETED, result_url="https://signed.example/r"
)


@pytest.fixture
def world():
    with fake_credentials():
        client = boto3.client("apigatewaymanagementapi", region_name=REGION, endpoint_url=ENDPOINT)
        connections = InMemoryUnitOfWork().connections
        for cid, user in (("c1", "alice"), ("c2", "alice"), ("c3", "bob")):
            connections.add(Connection(connection_id=cid, user_id=user, connected_at=NOW, ttl=1))
        with Stubber(client) as stubber:
            yield ApiGatewayNotifier(client, connections), stubber, connections


def expect_post(stubber: Stubber, connection_id: str, message: JobStatusMessage) -> None:
    body = json.dumps(message.to_json_dict(), separators=(",", ":")).encode()
    stubber.add_response("post_to_connection", {}, {"ConnectionId": connection_id, "Data": body})


def alice_connections(connections) -> list[str]:
    return sorted(c.connection_id for c in connections.list_for_user("alice"))


def test_the_status_is_pushed_once_to_every_connection_of_the_user(world):
    notifier, stubber, _ = world
    for cid in ("c1", "c2"):
        expect_post(stubber, cid, DONE)
    notifier.notify("alice", DONE)
    stubber.assert_no_pending_responses()


def test_another_users_connection_gets_nothing(world):
    notifier, stubber, _ = world
    attempted: list[str] = []
    notifier._client.meta.events.register(
        "provide-client-params.apigatewaymanagementapi.PostToConnection",
        lambda params, **_: attempted.append(params["ConnectionId"]),
    )
    for cid in ("c1", "c2"):
        expect_post(stubber, cid, DONE)
    notifier.notify("alice", DONE)  # c3 is bob's socket
    assert sorted(attempted) == ["c1", "c2"]


def test_the_pushed_body_is_the_contract_message():
    message = JobStatusMessage(
        job_id="job_1", status=JobStatus.FAILED, error=JobError(code="timed_out", message="late")
    )
    assert message.to_json_dict() == {
        "type": "jobStatus",
        "jobId": "job_1",
        "status": "failed",
        "error": {"code": "timed_out", "message": "late"},
    }


def test_a_gone_connection_is_forgotten_and_the_others_still_get_the_push(world):
    notifier, stubber, connections = world
    stubber.add_client_error(
        "post_to_connection", service_error_code="GoneException", http_status_code=410
    )
    expect_post(stubber, "c2", DONE)
    notifier.notify("alice", DONE)
    stubber.assert_no_pending_responses()
    assert alice_connections(connections) == ["c2"]


def test_other_push_failures_are_logged_without_urls_and_never_raised(world, caplog):
    notifier, stubber, connections = world
    stubber.add_client_error(
        "post_to_connection", service_error_code="InternalServerError", http_status_code=500
    )
    stubber.add_client_error(
        "post_to_connection", service_error_code="ForbiddenException", http_status_code=403
    )
    with caplog.at_level(logging.INFO, logger="profilephoto.adapters.aws"):
        notifier.notify("alice", DONE)
    assert alice_connections(connections) == ["c1", "c2"]
    failures = [r for r in caplog.records if r.getMessage() == "push failed"]
    assert [r.awsErrorCode for r in failures] == ["InternalServerError", "ForbiddenException"]
    assert all(r.jobId == DONE.job_id and r.userId == "alice" for r in failures)
    logged = " ".join(str(vars(r)) for r in caplog.records)
    assert "https://" not in logged


def test_a_user_without_connections_gets_no_push(world):
    notifier, stubber, _ = world
    notifier.notify("carol", DONE)
    stubber.assert_no_pending_responses()
