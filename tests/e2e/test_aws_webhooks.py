"""Webhooks on the AWS runtime (moto's server): the API and the worker queue a job's end on
the webhooks' own SQS queue, and the delivery function POSTs it, signed with the Secrets
Manager secret, to a real receiver on the loopback (docs/api.md §4.9)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from dependency_injector import providers
from standardwebhooks import Webhook as Verifier

from benchmarks.aws_calls import PAUSE, CallCounter
from profilephoto.adapters.memory import FixedClock
from profilephoto.domain.webhooks import UNSENT_GRACE
from profilephoto.entrypoints.aws_lambda import api, process, reconcile, webhooks
from tests.e2e.aws_stack import (
    REGION,
    Stack,
    deployed,
    install,
    photo,
    receive_batch,
    sqs_event,
    upload,
)
from tests.e2e.aws_stack import generate as generate_plain
from tests.e2e.lambda_events import CONTEXT, answer, load, rest
from tests.e2e.test_aws_job_control import cancel
from tests.integration.aws_fixtures import fail_next_call
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow
# What the template's generated secret holds: 32 letters and digits (base64 of 24 bytes).
SECRET_VALUE = "Zk3qT9wLm2Xc8Rv4Bn6Yp1Hs5Jd7Gf0A"


@pytest.fixture
def stack(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    # The receiver is on the loopback: this test's only reason to allow private addresses.
    with deployed(endpoint, monkeypatch, WEBHOOK_ALLOW_PRIVATE="on") as stack:
        hooks = stack.client("sqs").create_queue(
            QueueName="pp-webhooks", Attributes={"VisibilityTimeout": "360"}
        )
        secret = stack.client("secretsmanager")
        arn = secret.create_secret(Name="pp-webhook-secret", SecretString=SECRET_VALUE)["ARN"]
        monkeypatch.setenv("WEBHOOK_QUEUE_URL", hooks["QueueUrl"])
        monkeypatch.setenv("WEBHOOK_SECRET_ARN", arn)
        yield install(endpoint, stack.queue_url)


def webhook_batch(stack: Stack) -> dict[str, Any]:
    """What Lambda's SQS trigger hands the delivery function from the webhooks' queue."""
    return sqs_event(stack, stack.client("sqs").get_queue_url(QueueName="pp-webhooks")["QueueUrl"])


def generate(key: str, receiver: WebhookReceiver, events: list[str] | None = None) -> str:
    body: dict[str, Any] = {"fileKey": key, "style": "professional", "webhook": receiver.url}
    if events is not None:
        body["webhookEvents"] = events
    status, accepted = answer(api.handler(rest("generate", body=body), CONTEXT))
    assert status == 202, accepted
    return str(accepted["jobId"])


def test_a_completed_job_is_posted_signed_with_the_secrets_manager_secret(stack: Stack) -> None:
    with WebhookReceiver() as receiver:
        job_id = generate(upload(photo()), receiver)
        assert process.handler(receive_batch(stack), CONTEXT) == {"batchItemFailures": []}
        batch = webhook_batch(stack)
        assert len(batch["Records"]) == 1
        assert webhooks.handler(batch, CONTEXT) == {"batchItemFailures": []}
        (delivered,) = receiver.wait_for(1)

    payload = Verifier("whsec_" + SECRET_VALUE).verify(delivered.body, delivered.headers)
    assert (payload["type"], payload["data"]["jobId"]) == ("job.completed", job_id)
    status, job = answer(api.handler(rest("get_job", path=f"/jobs/{job_id}"), CONTEXT))
    assert status == 200 and payload["data"]["status"] == job["status"] == "completed"
    assert payload["data"]["resultUrls"] and payload["data"]["aiGenerated"] is True


def test_a_failed_attempt_comes_back_after_its_backoff_and_a_cancel_is_posted(
    stack: Stack,
) -> None:
    from moto.sqs.models import sqs_backends

    with WebhookReceiver() as receiver:
        job_id = generate(upload(photo()), receiver, ["canceled"])
        assert cancel(job_id)[0] == 200
        receiver.answers.append(500)
        batch = webhook_batch(stack)
        before = time.time()
        response = webhooks.handler(batch, CONTEXT)
        after = time.time()
        [record] = batch["Records"]
        assert response == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
        [message] = sqs_backends["123456789012"][REGION].queues["pp-webhooks"]._messages
        # The first retry comes 5 s later, not at the queue's 360 s visibility timeout.
        assert before + 5 <= message.visible_at / 1000 <= after + 6
        # SQS delivers it again (receive count 2): the second attempt is answered 200.
        again = dict(record, attributes={**record["attributes"], "ApproximateReceiveCount": "2"})
        assert webhooks.handler({"Records": [again]}, CONTEXT) == {"batchItemFailures": []}
        first, second = receiver.wait_for(2)

    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    payload = Verifier("whsec_" + SECRET_VALUE).verify(second.body, second.headers)
    assert (payload["type"], payload["data"]["status"]) == ("job.canceled", "canceled")
    assert json.loads(first.body)["data"]["jobId"] == job_id


def test_an_event_the_worker_could_not_queue_is_queued_by_the_next_sweep(stack: Stack) -> None:
    with WebhookReceiver() as receiver:
        job_id = generate(upload(photo()), receiver)
        # The webhooks' queue refuses the worker's send: the job completes all the same.
        fail_next_call(stack.container.webhooks()._client, "SQS.SendMessage")
        assert process.handler(receive_batch(stack), CONTEXT) == {"batchItemFailures": []}
        assert webhook_batch(stack)["Records"] == []

        # The scheduled sweep, past the grace a live worker has to queue it.
        later = FixedClock(datetime.now(UTC) + UNSENT_GRACE * 2)
        stack.container.clock.override(providers.Object(later))
        reconcile.handler(load("schedule"), CONTEXT)
        batch = webhook_batch(stack)
        assert len(batch["Records"]) == 1
        assert webhooks.handler(batch, CONTEXT) == {"batchItemFailures": []}
        (delivered,) = receiver.wait_for(1)
        reconcile.handler(load("schedule"), CONTEXT)  # the record went once it was queued
        assert webhook_batch(stack)["Records"] == []

    payload = Verifier("whsec_" + SECRET_VALUE).verify(delivered.body, delivered.headers)
    assert (payload["type"], payload["data"]["jobId"]) == ("job.completed", job_id)
    assert delivered.headers["webhook-id"] == f"msg_{job_id.removeprefix('job_')}_completed"


def test_a_webhook_costs_the_worker_a_send_and_a_delete_and_its_record_no_call(
    stack: Stack,
) -> None:
    # What README and docs/api.md §4.9 say a job with a webhook adds: SendMessage (the
    # event) and DeleteItem (its outbox record); the record's Put rides in the ending
    # TransactWriteItems. A job without one pays nothing for the feature.
    counter = CallCounter()
    for client in (stack.container.uow()._db.client, stack.container.webhooks()._client):
        client.meta.events.register("before-call", counter)
    sqs = stack.client("sqs")  # the test's own client, not counted

    def worker_calls() -> Counter[str]:
        """One job's worker calls. Its message is then deleted, as Lambda's event source
        deletes a batch that succeeded: left on the queue, it would come back after the
        stack's 2 s visibility timeout into the next batch (a load-dependent extra claim)."""
        batch = receive_batch(stack)
        assert len(batch["Records"]) == 1
        counter.take()
        assert process.handler(batch, CONTEXT) == {"batchItemFailures": []}
        calls = Counter({c: n for c, n in counter.take().items() if not c.endswith(PAUSE)})
        for record in batch["Records"]:
            sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=record["receiptHandle"])
        return calls

    with WebhookReceiver() as receiver:
        assert answer(generate_plain(upload(photo())))[0] == 202
        plain = worker_calls()
        generate(upload(photo()), receiver)
        hooked = worker_calls()

    assert plain["dynamodb.TransactWriteItems"] == hooked["dynamodb.TransactWriteItems"] == 1
    assert hooked - plain == Counter({"sqs.SendMessage": 1, "dynamodb.DeleteItem": 1})
    assert plain - hooked == Counter()
