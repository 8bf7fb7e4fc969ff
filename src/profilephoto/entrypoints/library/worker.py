"""The worker and the sweep of an in-process runtime, in background threads of the host."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from profilephoto.adapters.local.worker import QueueWorker
from profilephoto.containers.core import Application
from profilephoto.domain.errors import RetryLater
from profilephoto.domain.models import JobMessage
from profilephoto.domain.ports import JobInbox
from profilephoto.entrypoints.aws_lambda.webhooks import deliver_batch

log = logging.getLogger(__name__)


def process_batch(app: Application) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An SQS batch handler over the processing service, as the Lambda's but without
    Powertools: a host's own logging and metrics stay its own."""

    def handle(event: dict[str, Any]) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            try:
                message = JobMessage.model_validate_json(record["body"])
            except ValueError:  # can never succeed: acknowledged, as the Lambda handler does
                log.warning("malformed message dropped", extra={"messageId": record["messageId"]})
                continue
            try:
                app.processing.process(message)
            except RetryLater as retry:
                if retry.delay is not None:
                    app.redelivery.postpone(record["receiptHandle"], retry.delay)
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    return handle


class InProcessWorker:
    """`threads` workers taking one message at a time, one thread delivering webhooks (when
    the runtime has their queue), and a sweep every `sweep_every` s."""

    def __init__(
        self,
        inbox: JobInbox,
        app: Application,
        *,
        threads: int = 2,
        sweep_every: float = 60.0,
        housekeeping: Callable[[], object] | None = None,
        poll_interval: float = 0.05,
        webhooks: JobInbox | None = None,
    ) -> None:
        self._worker = QueueWorker(
            inbox, process_batch(app), threads=threads, poll_interval=poll_interval, batch_size=1
        )
        self._webhooks = (
            QueueWorker(
                webhooks,
                lambda event: deliver_batch(app, event),
                threads=1,
                poll_interval=poll_interval,
            )
            if webhooks is not None
            else None
        )
        self._app, self._sweep_every, self._housekeeping = app, sweep_every, housekeeping
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._worker.start()
        if self._webhooks is not None:
            self._webhooks.start()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="sweep", daemon=True)
        self._sweeper.start()

    def stop(self) -> None:
        """Stop taking messages; a job in hand is finished first, as Lambda would finish it."""
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join()
        self._worker.stop()
        if self._webhooks is not None:
            self._webhooks.stop()

    def sweep(self) -> None:
        self._app.reconciler.sweep()
        self._app.retention.sweep()
        if self._housekeeping is not None:
            self._housekeeping()

    def _sweep_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # the next sweep tries again; the host must not lose the thread
                log.exception("the reconcile sweep failed")
            self._stop.wait(self._sweep_every)
