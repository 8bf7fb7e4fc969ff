"""Use cases of webhooks: announce a job's end to its webhook, and deliver one event attempt
by attempt (docs/api.md, "Webhooks"). Neither ever changes the job, the quota or a push."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from profilephoto.domain.errors import JobNotFound, WebhookUnreachable
from profilephoto.domain.models import Identity, Job, iso_z
from profilephoto.domain.ports import Clock, UnsentWebhooks, WebhookOutbox, WebhookSender
from profilephoto.domain.webhooks import Verdict, WebhookEvent, event_for, judge, retry_delay
from profilephoto.services.queries import JobDetails, QueryService

log = logging.getLogger(__name__)

# What the API shows of a job (its view, docs/api.md §4): the entrypoints' view models say it.
JobRenderer = Callable[[JobDetails], Mapping[str, Any]]


def announce(outbox: WebhookOutbox | None, unsent: UnsentWebhooks, job: Job) -> None:
    """Queue the event of the job's end when its webhook asked for that end, then forget it
    among the unsent events, where the commit that ended the job kept it. A queue that is
    down (or a worker that dies first) leaves it there, and the sweep queues it
    (`send_unsent`): the job's end stands, as after a failed push."""
    event = event_for(job)
    if outbox is not None and event is not None:
        _queue(outbox, unsent, event)


def send_unsent(
    outbox: WebhookOutbox, unsent: UnsentWebhooks, before: datetime, limit: int
) -> list[str]:
    """Queue the events still unsent whose jobs ended before `before` (their worker died
    between the end and the queue, or the queue was down), under their own ids, so a
    receiver drops one that did reach it by its `webhook-id`. The ids of those queued."""
    return [e.id for e in unsent.older_than(before, limit) if _queue(outbox, unsent, e)]


def _queue(outbox: WebhookOutbox, unsent: UnsentWebhooks, event: WebhookEvent) -> bool:
    context = {"jobId": event.job.job_id, "event": event.id}
    try:
        outbox.send(event)
    except Exception:
        log.exception("webhook event not queued; the sweep will queue it", extra=context)
        return False
    try:
        unsent.remove(event.id)
    except Exception:  # the sweep queues it again: one more delivery, under the same id
        log.warning("queued webhook event not forgotten", extra=context, exc_info=True)
    return True


@dataclass(frozen=True)
class Attempt:
    """What became of one delivery attempt; `retry_in` is set when it is to be tried again."""

    verdict: Verdict
    status: int | None = None
    retry_in: timedelta | None = None


class WebhookDelivery:
    def __init__(
        self, sender: WebhookSender, queries: QueryService, render: JobRenderer, clock: Clock
    ) -> None:
        self._sender, self._queries, self._render, self._clock = sender, queries, render, clock

    def body(self, event: WebhookEvent) -> bytes:
        """The POSTed JSON: the event's type and time, and the job's view as its owner sees
        it now (`GET /jobs/{jobId}`), its result URLs presigned afresh so that a late delivery
        still carries working ones. JobNotFound when the job is gone to its owner: deleted
        (by itself or with the account, DELETE /me) or past its retention deadline."""
        owner = Identity(user_id=event.job.user_id)
        view = self._render(self._queries.get_job(owner, event.job.job_id))
        payload = {"type": event.type, "timestamp": iso_z(event.occurred_at), "data": view}
        return json.dumps(payload, separators=(",", ":")).encode()

    def deliver(self, event: WebhookEvent, attempt: int) -> Attempt:
        """Make attempt number `attempt` (1 = the first) and say whether to try again. An
        event whose job is gone is withdrawn, never sent: what a user deleted (their whole
        account included) is not announced to anyone afterwards."""
        context = {"jobId": event.job.job_id, "event": event.id, "attempt": attempt}
        try:
            body = self.body(event)
        except JobNotFound:
            log.info("webhook withdrawn: the job is gone", extra=context)
            return Attempt(Verdict.WITHDRAWN)
        status: int | None = None
        try:
            status = self._sender.send(event.url, event.id, body)
        except WebhookUnreachable as error:
            context["cause"] = error.message
        verdict = judge(status)
        if verdict is not Verdict.RETRY:
            log.info("webhook answered", extra={**context, "status": status, "verdict": verdict})
            return Attempt(verdict, status)
        delay = retry_delay(attempt, event.occurred_at, self._clock.now())
        if delay is None:
            log.warning("webhook abandoned", extra={**context, "status": status})
            return Attempt(Verdict.ABANDONED, status)
        retry_in = delay.total_seconds()
        log.info("webhook to retry", extra={**context, "status": status, "retryIn": retry_in})
        return Attempt(Verdict.RETRY, status, delay)
