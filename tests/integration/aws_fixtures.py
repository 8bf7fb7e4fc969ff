"""moto-backed AWS building blocks shared by the integration tests and the contract runtime."""

from __future__ import annotations

import atexit
import json
import os
import socket
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.config import Config
from moto import mock_aws
from moto.server import ThreadedMotoServer
from pydantic import BaseModel

from profilephoto.adapters.aws import DynamoDbUnitOfWork, create_tables
from profilephoto.domain.models import JobMessage, PresignedRequest

REGION = "us-east-1"
FAKE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Anything that could send a test to a real account or another endpoint is removed.
UNSET_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS")


@contextmanager
def fake_credentials() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (*FAKE_ENV, *UNSET_ENV)}
    os.environ.update(FAKE_ENV)
    for name in UNSET_ENV:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def serialized_api_calls() -> Iterator[None]:
    """One AWS call at a time, process-wide: moto is not thread-safe, and a whole request
    being atomic is exactly the per-request isolation the real services give."""
    original = BaseClient._make_api_call
    lock = threading.RLock()

    def one_at_a_time(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        with lock:
            return original(self, operation_name, api_params)

    BaseClient._make_api_call = one_at_a_time  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@contextmanager
def mocked_aws() -> Iterator[None]:
    """In-process moto with fake credentials; nothing leaves the process."""
    with fake_credentials(), mock_aws():
        yield


@contextmanager
def dynamodb_unit_of_work(**options: Any) -> Iterator[tuple[DynamoDbUnitOfWork, Any]]:
    """A DynamoDbUnitOfWork over freshly created docs/api.md §5 tables, and its client."""
    with mocked_aws(), serialized_api_calls():
        client = boto3.client("dynamodb", region_name=REGION)
        create_tables(client)
        yield DynamoDbUnitOfWork(client, **options), client


# --- a moto server, for what must travel over real HTTP (presigned URLs) ------------------

_server_lock = threading.Lock()
_server_url: str | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def moto_server_url() -> str:
    """The URL of this test session's moto server on 127.0.0.1 (started on first use)."""
    global _server_url
    with _server_lock:
        if _server_url is None:
            port = _free_port()
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            atexit.register(server.stop)
            _server_url = f"http://127.0.0.1:{port}"
        return _server_url


def s3_client_on_server() -> Any:
    """An S3 client as the AWS container builds one (SigV4), aimed at the moto server."""
    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=moto_server_url(),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@contextmanager
def bucket_on_server() -> Iterator[tuple[Any, str]]:
    """A fresh bucket on the moto server and an S3 client for it."""
    with fake_credentials():
        client = s3_client_on_server()
        bucket = f"test-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        yield client, bucket


# Local traffic must not be routed through any proxy the environment configures.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_put(request: PresignedRequest, data: bytes) -> int:
    """Perform a presigned request as a browser would: the URL, its headers, the bytes."""
    put = urllib.request.Request(request.url, data=data, method=request.method)
    for name, value in request.headers.items():
        put.add_header(name, value)
    with _direct.open(put, timeout=10) as response:
        return int(response.status)


# --- SQS ----------------------------------------------------------------------------------


def receive_all(client: Any, queue_url: str, body: type[BaseModel] = JobMessage) -> list[Any]:
    """Take every visible message off the queue, parsed as `body`s (by default docs/api.md
    §4.2's)."""
    found = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    messages = found.get("Messages", [])
    for message in messages:
        client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [body.model_validate(json.loads(m["Body"])) for m in messages]


def fail_next_call(client: Any, event: str, code: str = "ServiceUnavailable") -> None:
    """The client's next `event` (e.g. `SQS.SendMessage`) fails as AWS fails after its
    retries: an HTTP 503 error response, and nothing reaches the service."""
    service, operation = event.split(".", 1)
    fired = threading.Event()

    def fail(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if fired.is_set():
            return None
        fired.set()
        http = AWSResponse("https://unreachable.invalid", 503, {}, None)
        body = {
            "Error": {"Code": code, "Message": "injected by the test"},
            "ResponseMetadata": {"HTTPStatusCode": 503},
        }
        return http, body

    client.meta.events.register_first(f"before-call.{service.lower()}.{operation}", fail)
