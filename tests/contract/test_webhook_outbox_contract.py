"""WebhookOutbox: the webhooks' own queue, on SQS, SQLite and in memory, carries an event
whole, apart from the jobs' queue, and a send that fails says so (QueueUnavailable)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from profilephoto.adapters.aws import SqsJobQueue
from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
from profilephoto.adapters.memory import InMemoryWebhookOutbox
from profilephoto.domain.errors import QueueUnavailable
from profilephoto.domain.models import JobStatus, Webhook
from profilephoto.domain.ports import WebhookOutbox
from profilephoto.domain.webhooks import WebhookEvent, event_for
from tests.contract.runtimes.local import lockable
from tests.integration.aws_fixtures import REGION, fail_next_call, mocked_aws, receive_all
from tests.jobs import NOW, make_job

JOB = make_job(status=JobStatus.COMPLETED).model_copy(
    update={"webhook": Webhook(url="https://hooks.example.com/x"), "metadata": {"model": "m"}}
)
EVENT = event_for(JOB)


@dataclass
class Harness:
    outbox: WebhookOutbox
    receive: Callable[[], list[WebhookEvent]]
    break_next_send: Callable[[], None]


@contextmanager
def on_sqs() -> Iterator[Harness]:
    with mocked_aws():
        client = boto3.client("sqs", region_name=REGION)
        url = client.create_queue(QueueName="webhooks")["QueueUrl"]

        yield Harness(
            SqsJobQueue(client, url),
            lambda: receive_all(client, url, WebhookEvent),
            lambda: fail_next_call(client, "SQS.SendMessage"),
        )


@contextmanager
def on_sqlite() -> Iterator[Harness]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "profilephoto.sqlite3"
        jobs = SqliteJobQueue(path)  # the jobs' queue in the same file stays apart
        hooks = SqliteJobQueue(path, busy_timeout=0.05, name="webhook", body=WebhookEvent)
        try:
            with lockable(hooks, path) as (take, break_next_send):

                def receive() -> list[WebhookEvent]:
                    events = take()  # lets go of the lock before the jobs' queue is read
                    assert jobs.receive(10) == []
                    return events

                yield Harness(hooks, receive, break_next_send)
        finally:
            jobs.close()


@contextmanager
def in_memory() -> Iterator[Harness]:
    outbox = InMemoryWebhookOutbox()
    yield Harness(outbox, outbox.drain, lambda: outbox.fail_next(QueueUnavailable()))


@pytest.fixture(params=["sqs", "sqlite", "memory"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    runtime = {"sqs": on_sqs, "sqlite": on_sqlite, "memory": in_memory}[request.param]
    with runtime() as opened:
        yield opened


def test_an_event_is_received_whole(harness: Harness) -> None:
    assert EVENT is not None
    harness.outbox.send(EVENT)
    [received] = harness.receive()
    assert received == EVENT
    assert received.job == JOB and received.occurred_at == NOW


def test_a_failed_send_raises_queue_unavailable_and_sends_nothing(harness: Harness) -> None:
    assert EVENT is not None
    harness.break_next_send()
    with pytest.raises(QueueUnavailable):
        harness.outbox.send(EVENT)
    assert harness.receive() == []
