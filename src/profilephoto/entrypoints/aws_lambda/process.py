"""Handler for the SQS generation queue: records of a batch run concurrently, failures partial."""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from profilephoto.domain.errors import ModelAccessDenied, ModelUnavailable, RetryLater
from profilephoto.domain.job_lifecycle import is_system_failure
from profilephoto.domain.models import JobMessage
from profilephoto.entrypoints.aws_lambda import observability, runtime
from profilephoto.entrypoints.aws_lambda.observability import count, logger, metrics
from profilephoto.services.processing import Outcome, Processed

# Failures no retry or user can fix: each has a metric of its own and an alarm in template.yaml.
OPERATOR_ERRORS = {
    ModelUnavailable.code: "ModelUnavailable",
    ModelAccessDenied.code: "ModelAccessDenied",
}


def process_record(record: SQSRecord) -> Processed | None:
    """One message through the processing service; RetryLater propagates as a batch failure."""
    try:
        message = JobMessage.model_validate(json.loads(record.body))
    except (ValueError, ValidationError):
        # A malformed body can never succeed: acknowledge it rather than loop to the DLQ.
        logger.warning("dropping a malformed message", extra={"messageId": record.message_id})
        return None
    try:
        result = runtime.application().processing.process(message)
    except RetryLater as retry:
        _schedule_retry(record, retry)
        raise
    except Exception:
        # The batch hands the record back for a retry; the log says which job, and why.
        logger.exception(
            "record failed: handed back for a retry",
            extra={"jobId": message.job_id, "messageId": record.message_id},
        )
        raise
    _record_metrics(result)
    return result


def _schedule_retry(record: SQSRecord, retry: RetryLater) -> None:
    """Bring the message back after the delay the domain chose, not the queue's timeout."""
    if retry.throttled:
        count("ModelCallsThrottled")
    if retry.paused:
        count("ModelCallsPaused")
    if retry.delay is not None:
        seconds = retry.delay.total_seconds()
        metrics.add_metric(name="RetryDelay", unit=MetricUnit.Seconds, value=seconds)
        runtime.application().redelivery.postpone(record.receipt_handle, retry.delay)


def _record_metrics(result: Processed) -> None:
    job = result.job
    if result.outcome is Outcome.COMPLETED and job is not None:
        count("GenerationSucceeded")
        metrics.add_metric(
            name="GenerationLatency", unit=MetricUnit.Milliseconds, value=job.processing_time or 0
        )
        # Images per hour and cost per hour on the operator's dashboard.
        metrics.add_metric(name="ImagesGenerated", unit=MetricUnit.Count, value=job.images_made)
        cost = job.metadata.get("costUsd")
        if isinstance(cost, int | float):
            metrics.add_metric(name="EstimatedCostUsd", unit=MetricUnit.NoUnit, value=cost)
        _record_likeness(job.metadata)
    elif result.outcome is Outcome.FAILED and job is not None and job.error is not None:
        count("JobsFailed", code=job.error.code)
        if job.error.reason:  # the photo check's rejections, by reason, for the dashboard
            count("PhotosRejected", reason=job.error.reason)
        if is_system_failure(job.error.code):  # the alarm is on our failures, not on photos
            count("GenerationFailed")
        if job.error.code in OPERATOR_ERRORS:  # an outage to page about, with its own alarm
            count(OPERATOR_ERRORS[job.error.code])


def _record_likeness(metadata: dict[str, Any]) -> None:
    """Each delivered image's likeness (p50/p10 on the dashboard), the extra model calls
    it took, and the images delivered below the bar, refunded (docs/api.md, "Likeness")."""
    scores = metadata.get("likeness")
    if not isinstance(scores, list):
        return  # the check was off, or the photos showed no face
    for score in scores:  # an image with no face is scored -1: as unlike as can be
        value = score if isinstance(score, int | float) else -1.0
        metrics.add_metric(name="LikenessScore", unit=MetricUnit.NoUnit, value=value)
    retries = metadata.get("likenessRetries", 0)
    metrics.add_metric(name="LikenessRetries", unit=MetricUnit.Count, value=retries or 0)
    low = metadata.get("lowLikenessImages", 0)
    metrics.add_metric(name="LowLikeness", unit=MetricUnit.Count, value=low or 0)


# SQS hands a function at most 10 records without a batching window. Each record spends
# most of its time waiting on the model, so each gets a thread: asyncio's default pool
# (min(32, CPUs + 4), 6 on two cores) made a batch of 10 take two rounds of model calls.
# Memory does not grow with the threads: image decodes share one budget (docs/api.md §4.6).
MAX_RECORD_THREADS = 10


def _record_handler(pool: ThreadPoolExecutor) -> Callable[[SQSRecord], Awaitable[None]]:
    async def handle(record: SQSRecord) -> None:
        # As asyncio.to_thread does: the thread sees this call's context (logger keys).
        context = contextvars.copy_context()
        await asyncio.get_running_loop().run_in_executor(pool, context.run, process_record, record)

    return handle


@observability.lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A processor keeps its batch's records and failures on itself, so each call gets its own:
    # a host that runs two batches at once (the local server's worker threads) keeps them apart.
    # A batch whose every record asks for a retry is an answer, not a Lambda error: raising would
    # count towards the error-rate alarm for what is only the model throttling us.
    processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    records = event.get("Records")
    threads = min(MAX_RECORD_THREADS, len(records)) if isinstance(records, list) and records else 1
    with ThreadPoolExecutor(threads, thread_name_prefix="record") as pool:
        response = async_process_partial_response(
            event=event, record_handler=_record_handler(pool), processor=processor, context=context
        )
    return dict(response)
