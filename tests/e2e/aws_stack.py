"""A whole profilephoto stack on moto's server: buckets, queue, tables, and the AWS runtime."""

from __future__ import annotations

import json
import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.server import ThreadedMotoServer

from profilephoto.adapters.aws.tables import create_tables
from profilephoto.adapters.labels.certificates import create_local_chain
from profilephoto.containers.aws import AwsContainer, build_aws_container
from profilephoto.entrypoints.aws_lambda import api, file_transfer, runtime
from profilephoto.settings import load_settings
from tests.e2e.lambda_events import CONTEXT, answer, load, rest
from tests.photos import portrait_jpeg

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    endpoint: str
    container: AwsContainer
    queue_url: str

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def signing_secret(endpoint: str | None) -> str:
    """The C2PA signing secret an operator stores (docs/deploy.md), with a fresh chain."""
    made = create_local_chain()
    secret = {
        "certificate_chain": made.certificate_chain.decode(),
        "private_key": made.private_key.decode(),
    }
    client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION)
    return str(
        client.create_secret(Name=f"c2pa-{free_port()}", SecretString=json.dumps(secret))["ARN"]
    )


# What a stack uses of moto. Its backends live in the process, shared by every server and
# mock in it: a test worker runs other modules' stacks before this one.
SERVICES = ("s3", "sqs", "dynamodb", "secretsmanager", "ssm", "apigatewaymanagementapi")


def fresh_account() -> None:
    """Every service a stack uses starts empty (e.g. no pushes to a socket id from before)."""
    from moto.backends import get_backend

    for service in SERVICES:
        for backend in get_backend(service).values():
            backend.reset()


def deploy(endpoint: str, monkeypatch: Any, **env: str) -> Stack:
    """Create the resources of template.yaml on moto, in a fresh account, and install the
    AWS runtime over them."""
    fresh_account()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    for bucket in ("pp-uploads", "pp-results"):
        s3.create_bucket(Bucket=bucket)
    queue_url = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION).create_queue(
        QueueName="pp-jobs", Attributes={"VisibilityTimeout": "2"}
    )["QueueUrl"]
    create_tables(boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION))
    settings_env = {
        "C2PA_SECRET_ARN": signing_secret(endpoint),
        "UPLOAD_BUCKET": "pp-uploads",
        "RESULT_BUCKET": "pp-results",
        "SQS_QUEUE_URL": queue_url,
        "WEBSOCKET_ENDPOINT": endpoint,
        "ALLOWED_ORIGINS": "https://app.example.com",
        **env,
    }
    for name, value in settings_env.items():
        monkeypatch.setenv(name, value)
    if "GEMINI_API_KEY" not in env:  # the offline stylizer, unless a test brings a model
        monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    return install(endpoint, queue_url)


def install(endpoint: str, queue_url: str) -> Stack:
    """The AWS runtime built from the environment as it is now, installed for the handlers."""
    settings = load_settings()
    container = build_aws_container(settings)
    runtime.install(container, settings)
    return Stack(endpoint, container, queue_url)


@contextmanager
def deployed(endpoint: str, monkeypatch: Any, **env: str) -> Iterator[Stack]:
    """deploy() for one test; after it, no runtime is installed and the account is fresh
    again (moto's backends outlive the test, shared by the whole process)."""
    try:
        yield deploy(endpoint, monkeypatch, **env)
    finally:
        runtime.install(None)
        fresh_account()


def photo() -> bytes:
    return portrait_jpeg()  # a real face: the worker checks photos before the model


def upload(data: bytes) -> str:
    """Presign through the handler, then PUT the bytes to S3 over real HTTP: the file key."""
    body = {"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": len(data)}
    status, ticket = answer(file_transfer.handler(rest("presign", body=body), CONTEXT))
    assert status == 200
    request = urllib.request.Request(
        ticket["uploadUrl"], data=data, method="PUT", headers=ticket["headers"]
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    return str(ticket["fileKey"])


def generate(key: str, **extra_headers: str) -> dict[str, Any]:
    return api.handler(
        rest("generate", body={"fileKey": key, "style": "professional"}, headers=extra_headers),
        CONTEXT,
    )


def sqs_event(stack: Stack, queue_url: str) -> dict[str, Any]:
    """What Lambda's SQS trigger hands a function: the messages one receive takes off the queue."""
    found = stack.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=1
    )
    template = load("sqs_batch")["Records"][0]
    return {
        "Records": [
            dict(
                template,
                messageId=m["MessageId"],
                body=m["Body"],
                receiptHandle=m["ReceiptHandle"],
                attributes=m["Attributes"],
            )
            for m in found.get("Messages", [])
        ]
    }


def receive_batch(stack: Stack) -> dict[str, Any]:
    """The worker's batch from the jobs' queue, which holds at least one message."""
    batch = sqs_event(stack, stack.queue_url)
    assert batch["Records"], "no message on the jobs' queue"
    return batch


def pushed_messages(connection_id: str) -> list[dict[str, Any]]:
    """Every message posted to one WebSocket connection on moto, oldest first."""
    backend = apigatewaymanagementapi_backends["123456789012"][REGION]
    # moto's server files the posts under the id as it appears in the URL, percent-encoded,
    # and keeps the posts to one connection appended to each other.
    posted = backend.connections.get(urllib.parse.quote(connection_id, safe=""))
    text = posted.data.decode() if posted is not None else ""
    decoder, messages, at = json.JSONDecoder(), [], 0
    while at < len(text):
        message, at = decoder.raw_decode(text, at)
        messages.append(message)
    return messages
