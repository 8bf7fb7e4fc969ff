"""Worker threads that feed the local queue to an SQS batch handler, as Lambda would."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from profilephoto.domain.models import Model, ReceivedMessage
from profilephoto.domain.ports import JobInbox

log = logging.getLogger(__name__)

SqsEvent = dict[str, Any]
BatchHandler = Callable[[SqsEvent], Any]
QUEUE_ARN = "arn:aws:sqs:local:000000000000:profilephoto-local"


class QueueWorker:
    """`threads` loops that receive a batch, call `handle_batch(event)`, and settle it.

    Settling follows Lambda's SQS partial batch response: items named in
    `batchItemFailures` stay as they are, to come back when their visibility says (the
    queue's timeout, or the backoff the handler set through the queue's `postpone`),
    the rest are deleted. A handler that raises, or names an item that is not in the
    batch, fails the whole batch, as Lambda does. A `retry_delay` overrides that and
    releases failed items after so many seconds (tests that want an immediate retry).
    """

    def __init__(
        self,
        queue: JobInbox,
        handle_batch: BatchHandler,
        threads: int = 2,
        poll_interval: float = 0.2,
        batch_size: int = 10,
        retry_delay: float | None = None,
    ) -> None:
        self.queue = queue
        self._handle = handle_batch
        self._count = threads
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._retry_delay = retry_delay
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._loop, name=f"queue-worker-{n}", daemon=True)
            for n in range(self._count)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop receiving; a batch in hand is finished and settled first."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def run_once(self) -> int:
        """Receive and settle one batch in the calling thread; how many messages it held."""
        try:
            batch = self.queue.receive(self._batch_size)
        except Exception:
            log.exception("could not receive from the local queue")
            return 0
        if batch:
            self._settle(batch, self._call(batch))
        return len(batch)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.run_once() == 0:
                self._stop.wait(self._poll_interval)

    def _call(self, batch: Sequence[ReceivedMessage[Model]]) -> set[str]:
        """The ids of the messages to retry."""
        every = {message.message_id for message in batch}
        try:
            response = self._handle(sqs_event(batch))
        except Exception:
            log.exception("the batch handler raised; every message will be retried")
            return every
        named = _failed_ids(response)
        if named is None or not named <= every:
            log.error("the batch response is not a valid partial failure; retrying all")
            return every
        return named

    def _settle(self, batch: Sequence[ReceivedMessage[Model]], failed: set[str]) -> None:
        for message in batch:
            try:
                if message.message_id not in failed:
                    self.queue.delete(message.message_id)
                elif self._retry_delay is not None:
                    self.queue.release(message.message_id, self._retry_delay)
            except Exception:  # the visibility timeout redelivers it anyway
                log.exception("could not settle a message", extra={"messageId": message.message_id})


def _failed_ids(response: Any) -> set[str] | None:
    """The ids a response names, or None when Lambda would call the response invalid."""
    if not response:
        return set()  # None or {}: the whole batch succeeded
    try:
        failures = response.get("batchItemFailures") or []
        return {str(item["itemIdentifier"] or "") for item in failures}
    except (AttributeError, KeyError, TypeError):
        return None


def sqs_event(batch: Sequence[ReceivedMessage[Model]]) -> SqsEvent:
    """The event Lambda's SQS trigger would deliver for these messages."""
    return {"Records": [_record(message) for message in batch]}


def _record(message: ReceivedMessage[Model]) -> dict[str, Any]:
    body = json.dumps(message.body.to_json_dict(), separators=(",", ":"))
    return {
        "messageId": message.message_id,
        "receiptHandle": message.message_id,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(message.receive_count),
            "SentTimestamp": str(int(message.sent_at * 1000)),
            "SenderId": "profilephoto-local",
            "ApproximateFirstReceiveTimestamp": str(int(message.first_received_at * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "local",
    }


@dataclass
class LocalLambdaContext:
    """Enough of Lambda's context object for Powertools' decorators to run."""

    function_name: str = "profilephoto-local-process"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:profilephoto-local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/local/profilephoto"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def lambda_batch_handler(handler: Callable[[SqsEvent, Any], Any]) -> BatchHandler:
    """Adapt a Lambda `handler(event, context)` to the worker's one-argument callable."""
    return lambda event: handler(event, LocalLambdaContext())
