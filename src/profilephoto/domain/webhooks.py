"""Webhooks (docs/api.md, "Webhooks"): which URL a job may call, which addresses a delivery
may reach, the event a job's end makes, and how long a delivery is retried."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from profilephoto.domain.errors import InvalidWebhook
from profilephoto.domain.models import WEBHOOK_EVENTS, Job, JobStatus, Model, Webhook

MAX_URL_LENGTH = 2048
# A receiver that does not answer within this long is tried again later (docs/api.md).
TIMEOUT_SECONDS = 15.0
# After a failed attempt n, attempt n + 1 comes RETRY_DELAYS[n - 1] later: the first retry
# within 10 s, then growing; 11 attempts span 23.7 h, within DELIVERY_WINDOW.
RETRY_DELAYS = tuple(
    timedelta(seconds=s) for s in (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)
)
DELIVERY_WINDOW = timedelta(hours=24)
# An event still unsent this long after its job ended was lost between the end's commit and
# the webhooks' queue (the worker died there, or the queue was down): the sweep queues it.
# Long enough that a worker still closing the job out (the final push first) has queued it.
UNSENT_GRACE = timedelta(minutes=1)
GONE = 410

# Cloud instance metadata services: link-local or private, but named for the refusal.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class WebhookEvent(Model):
    """One event of one job's end, as queued for delivery. `job` is the job as it ended."""

    id: str
    type: str
    url: str
    occurred_at: datetime
    job: Job


def parse_webhook(url: object, events: object, *, allow_private: bool) -> Webhook | None:
    """The request's `webhook` and `webhookEvents`, checked as far as the text goes: an
    absolute https URL (http too when private addresses are allowed) with a host and no
    credentials, and a non-empty subset of the end states. None when no webhook was asked
    for. InvalidWebhook otherwise; where the host resolves is `check_addresses`' part."""
    if url is None:
        if events is not None:
            raise InvalidWebhook("webhookEvents needs a webhook")
        return None
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL_LENGTH:
        raise InvalidWebhook(f"webhook must be a URL of at most {MAX_URL_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise InvalidWebhook("webhook must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhook("webhook is not a valid URL") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise InvalidWebhook("webhook must be an https URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise InvalidWebhook("webhook must name a host, and no user or password")
    if parts.fragment or port == 0:
        raise InvalidWebhook("webhook is not a valid URL")
    return Webhook(url=url, events=_events(events))


def _events(raw: object) -> tuple[JobStatus, ...]:
    if raw is None:
        return WEBHOOK_EVENTS
    names = [e.value for e in WEBHOOK_EVENTS]
    if (
        not isinstance(raw, list)
        or not raw
        or any(e not in names for e in raw)
        or len(set(raw)) != len(raw)
    ):
        raise InvalidWebhook(f"webhookEvents must be distinct values among {', '.join(names)}")
    return tuple(JobStatus(e) for e in raw)


def host_and_port(url: str) -> tuple[str, int]:
    """The host a webhook URL names and the port it reaches (443 for https, 80 for http)."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def refusal(address: str) -> str | None:
    """Why a delivery may not reach `address` (an IP address as text), or None when it may:
    only public unicast addresses are allowed, so a webhook cannot reach our own network,
    the loopback or a cloud's metadata service (SSRF)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):  # IPv4 wrapped in IPv6 is judged as IPv4
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(ip.packed[-4:])
    if ip in METADATA_ADDRESSES:
        return "a metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global or ip.is_multicast:
        return "not a public address"
    return None


def check_addresses(host: str, addresses: list[str]) -> None:
    """InvalidWebhook unless `host` resolved and every address it resolved to is public."""
    if not addresses:
        raise InvalidWebhook("webhook's host does not resolve")
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            raise InvalidWebhook(f"webhook's host resolves to {reason}")


def event_for(job: Job) -> WebhookEvent | None:
    """The event a job's end makes, when the job has a webhook for that end. Its id is the
    same however often the end is announced (a receiver drops repeats by `webhook-id`)."""
    if job.webhook is None or job.status not in job.webhook.events:
        return None
    return WebhookEvent(
        id=f"msg_{job.job_id.removeprefix('job_')}_{job.status.value}",
        type=f"job.{job.status.value}",
        url=job.webhook.url,
        occurred_at=job.updated_at,
        job=job,
    )


class Verdict(StrEnum):
    DELIVERED = "delivered"
    GONE = "gone"  # 410: the receiver wants no more
    RETRY = "retry"
    ABANDONED = "abandoned"  # retried for DELIVERY_WINDOW, or out of attempts
    WITHDRAWN = "withdrawn"  # the job is gone to its owner (deleted, or its account): not sent


def judge(status: int | None) -> Verdict:
    """An attempt's answer: any 2xx delivers, 410 stops, anything else (no answer, a
    redirect, 4xx, 5xx) is retried."""
    if status is not None and 200 <= status < 300:
        return Verdict.DELIVERED
    if status == GONE:
        return Verdict.GONE
    return Verdict.RETRY


def retry_delay(attempt: int, occurred_at: datetime, now: datetime) -> timedelta | None:
    """When to try again after failed attempt `attempt` (1 = the first), or None when the
    next attempt would fall past DELIVERY_WINDOW after the event."""
    if attempt > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[max(attempt, 1) - 1]
    if now + delay > occurred_at + DELIVERY_WINDOW:
        return None
    return delay
