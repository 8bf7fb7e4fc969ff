"""Handler for the webhooks' own SQS queue: one delivery attempt per record, records of a batch
concurrently; a record to retry comes back when the backoff says (docs/api.md, "Webhooks")."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.containers.core import Application
from profilephoto.domain.webhooks import Verdict, WebhookEvent
from profilephoto.entrypoints.aws_lambda import observability, runtime
from profilephoto.entrypoints.aws_lambda.observability import metrics

log = logging.getLogger(__name__)
# SQS hands a function at most 10 records; each may wait up to 15 s on its receiver.
MAX_RECORD_THREADS = 10
METRICS = {
    Verdict.DELIVERED: "WebhooksDelivered",
    Verdict.GONE: "WebhooksGone",
    Verdict.RETRY: "WebhookRetries",
    Verdict.ABANDONED: "WebhooksAbandoned",
    Verdict.WITHDRAWN: "WebhooksWithdrawn",
}
Counter = Callable[[str], None]


def deliver_record(app: Application, record: dict[str, Any], counted: Counter) -> bool:
    """One attempt of the record's event; True when the record is settled (delivered, gone,
    abandoned, withdrawn or unreadable), False when it is to come back after the delay it
    was given."""
    try:
        event = WebhookEvent.model_validate_json(record["body"])
    except ValueError:  # can never succeed: acknowledged, as the job queue's handler does
        log.warning("malformed webhook event dropped", extra={"messageId": record["messageId"]})
        return True
    attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount") or 1)
    outcome = app.webhooks.deliver(event, attempt)
    counted(METRICS[outcome.verdict])
    if outcome.retry_in is None:
        return True
    app.webhook_redelivery.postpone(record["receiptHandle"], outcome.retry_in)
    return False


def deliver_batch(
    app: Application, event: dict[str, Any], counted: Counter = lambda name: None
) -> dict[str, Any]:
    """An SQS batch through `deliver_record`, as a partial batch response. A record whose
    attempt raised (a bug, a secret that cannot be read) comes back at the visibility
    timeout, and after maxReceiveCount lands in the dead-letter queue."""
    records = event.get("Records") or []

    def settle(record: dict[str, Any]) -> bool:
        try:
            return deliver_record(app, record, counted)
        except Exception:
            log.exception("webhook attempt failed", extra={"messageId": record.get("messageId")})
            return False

    threads = max(1, min(MAX_RECORD_THREADS, len(records)))
    with ThreadPoolExecutor(threads, thread_name_prefix="webhook") as pool:
        # Each thread sees this call's context: the runtime a host bound, the logger's keys.
        futures = [pool.submit(contextvars.copy_context().run, settle, r) for r in records]
        settled = [future.result() for future in futures]
    failures = [
        {"itemIdentifier": record["messageId"]}
        for record, done in zip(records, settled, strict=True)
        if not done
    ]
    return {"batchItemFailures": failures}


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit="Count", value=1)


@observability.lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return deliver_batch(runtime.application(), event, _count)
