"""Use cases of webhooks: announce a job's end to its webhook, and deliver one event attempt
by attempt (docs/api.md, "Webhooks"). Neither ever changes the job, the quota or a push."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from profilephoto.domain.errors import JobNotFound, WebhookUnreachable
from profilephoto.domain.models import Identity, Job, iso_z
from profilephoto.domain.ports import Clock, WebhookOutbox, WebhookSender
from profilephoto.domain.webhooks import Verdict, WebhookEvent, event_for, judge, retry_delay
from profilephoto.services.queries import JobDetails, QueryService

log = logging.getLogger(__name__)

# What the API shows of a job (its view, docs/api.md §4): the entrypoints' view models say it.
JobRenderer = Callable[[JobDetails], Mapping[str, Any]]


def announce(outbox: WebhookOutbox | None, job: Job) -> None:
    """Queue the event of the job's end when its webhook asked for that end. A queue that is
    down loses the event (logged): the job's end stands, as a failed push does."""
    event = event_for(job)
    if outbox is None or event is None:
        return
    try:
        outbox.send(event)
    except Exception:
        log.exception("webhook event not queued", extra={"jobId": job.job_id, "event": event.id})


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
