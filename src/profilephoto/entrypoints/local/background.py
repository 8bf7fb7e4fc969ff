"""What Lambda's triggers do on AWS: the queue workers (jobs, webhooks) and the scheduled
reconcile sweep."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from profilephoto.adapters.local.worker import LocalLambdaContext, QueueWorker, lambda_batch_handler

log = logging.getLogger(__name__)
SWEEP_EVENT = {
    "version": "0",
    "id": "local-sweep",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "000000000000",
    "region": "local",
    "resources": ["arn:aws:events:local:000000000000:rule/profilephoto-reconcile"],
    "detail": {},
}


class Background:
    """Starts the worker threads and the sweep with the app, stops them with it."""

    def __init__(
        self,
        queue: Any,
        process_handler: Callable[[dict[str, Any], Any], Any],
        reconcile_handler: Callable[[dict[str, Any], Any], Any],
        sweep_every: float = 60.0,
        threads: int = 2,
        housekeeping: Callable[[], object] | None = None,
        webhooks: tuple[Any, Callable[[dict[str, Any], Any], Any]] | None = None,
    ) -> None:
        self.worker = QueueWorker(queue, lambda_batch_handler(process_handler), threads=threads)
        # The webhooks' own queue and its delivery handler, as the delivery function on AWS.
        self.webhook_worker = (
            QueueWorker(webhooks[0], lambda_batch_handler(webhooks[1]), threads=1)
            if webhooks is not None
            else None
        )
        self._reconcile = reconcile_handler
        self._sweep_every = sweep_every
        # What DynamoDB's TTL does on AWS (expired usage, connections, idempotency records).
        self._housekeeping = housekeeping
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.worker.start()
        if self.webhook_worker is not None:
            self.webhook_worker.start()
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        # A batch in hand is finished before the server goes, as Lambda would finish it.
        await asyncio.to_thread(self.worker.stop)
        if self.webhook_worker is not None:
            await asyncio.to_thread(self.webhook_worker.stop)

    def sweep(self) -> Any:
        context = LocalLambdaContext(function_name="profilephoto-local-reconcile")
        report = self._reconcile(dict(SWEEP_EVENT), context)
        if self._housekeeping is not None:
            self._housekeeping()
        return report

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.sweep)
            except Exception:  # the next sweep tries again; the server must not die of it
                log.exception("the reconcile sweep failed")
            await asyncio.sleep(self._sweep_every)
