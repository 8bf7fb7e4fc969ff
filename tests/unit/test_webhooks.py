"""Webhooks (docs/api.md, "Webhooks"): what a job may name, the event its end makes, and
delivery attempt by attempt: signed, retried with backoff for 24 h, stopped by a 410."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from standardwebhooks import Webhook as Verifier

from profilephoto.adapters.memory import TEST_SECRET, RecordingWebhookSender, StaticResolver
from profilephoto.adapters.webhooks.http_sender import SystemResolver
from profilephoto.domain.errors import InvalidWebhook, WebhookUnreachable
from profilephoto.domain.models import JobStatus
from profilephoto.domain.webhooks import (
    DELIVERY_WINDOW,
    RETRY_DELAYS,
    Verdict,
    WebhookEvent,
    parse_webhook,
    refusal,
)
from profilephoto.services.webhooks import WebhookDelivery
from tests.conftest import ALICE, World, make_world

HOOK = "https://hooks.example.com/profilephoto"


def used(world: World) -> int:
    return world.queries.get_usage(ALICE).used


def events(world: World) -> list[WebhookEvent]:
    return world.container.webhooks().drain()


def delivery(world: World) -> WebhookDelivery:
    return world.container.services.webhook_delivery()


def sender(world: World) -> RecordingWebhookSender:
    return world.container.webhook_sender()


# --- what a request may name ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # https only while private addresses are refused
        "ftp://hooks.example.com/x",
        "hooks.example.com/x",
        "https:///x",
        "https://user:pw@hooks.example.com/x",
        "https://hooks.example.com/x#part",
        "https://hooks.example.com:0/x",
        "https://hooks.example.com:99999/x",
        "https://hooks.example.com/a b",
        "https://hooks.example.com/\x00",
        "https://" + "a" * 2050 + ".com/",
        "",
        42,
    ],
)
def test_a_webhook_that_is_not_an_https_url_is_refused(url: object) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(url, None, allow_private=False)


@pytest.mark.parametrize("chosen", [[], ["completed", "completed"], ["queued"], "completed", [1]])
def test_webhook_events_must_be_a_distinct_subset_of_the_ends(chosen: object) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(HOOK, chosen, allow_private=False)


def test_events_without_a_webhook_are_refused_and_no_webhook_is_none() -> None:
    assert parse_webhook(None, None, allow_private=False) is None
    with pytest.raises(InvalidWebhook):
        parse_webhook(None, ["completed"], allow_private=False)


def test_http_is_accepted_only_when_private_addresses_are() -> None:
    hook = parse_webhook("http://127.0.0.1:9000/h", ["failed"], allow_private=True)
    assert hook is not None and hook.events == (JobStatus.FAILED,)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("169.254.169.254", "a metadata address"),
        ("fd00:ec2::254", "a metadata address"),
        ("169.254.10.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12::1", "a private address"),
        ("2002:0a00:0001::", "a private address"),  # 6to4 of 10.0.0.1
        ("64:ff9b::7f00:1", "a loopback address"),  # NAT64 of 127.0.0.1
        ("0.0.0.0", "a private address"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("224.0.0.1", "not a public address"),
    ],
)
def test_addresses_outside_the_public_internet_are_refused(address: str, reason: str) -> None:
    assert refusal(address) == reason


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(address) is None


# --- POST /generate -----------------------------------------------------------------


def test_a_job_keeps_its_webhook_and_a_plain_job_has_none(world: World) -> None:
    hooked = world.generate(webhook=HOOK, webhook_events=["completed"])
    plain = world.generate()
    job = world.uow.jobs.get(hooked.job_id)
    assert job.webhook.url == HOOK and job.webhook.events == (JobStatus.COMPLETED,)
    assert world.uow.jobs.get(plain.job_id).webhook is None


def test_a_name_that_resolves_to_the_loopback_is_refused_and_nothing_is_charged() -> None:
    world = make_world()
    world.container.resolver.override(SystemResolver())  # localhost: 127.0.0.1, the real lookup
    with pytest.raises(InvalidWebhook, match="loopback"):
        world.generate(webhook="https://localhost/hook")
    assert used(world) == 0 and world.queue.sent == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://metadata.attacker.example/", "metadata"),  # a name pointing at it
        ("https://intranet.attacker.example/", "private"),
        ("https://[::1]:8443/", "loopback"),
        ("https://nowhere.example/", "does not resolve"),
    ],
)
def test_webhooks_to_addresses_a_delivery_may_not_reach_are_refused(url: str, reason: str) -> None:
    world = make_world()
    world.container.resolver.override(
        StaticResolver(
            {
                "metadata.attacker.example": ["169.254.169.254"],
                # one private address among public ones is enough to refuse the name
                "intranet.attacker.example": ["93.184.215.14", "10.0.0.7"],
                "nowhere.example": [],
            }
        )
    )
    with pytest.raises(InvalidWebhook, match=reason) as refused:
        world.generate(webhook=url)
    assert refused.value.code == "invalid_webhook"
    assert used(world) == 0 and world.uow.jobs.list_for_user("alice", 10, None).items == []


def test_private_addresses_are_accepted_when_allowed() -> None:
    world = make_world(webhook_allow_private=True)
    accepted = world.generate(webhook="http://localhost:9000/hook")
    assert world.uow.jobs.get(accepted.job_id).webhook.url == "http://localhost:9000/hook"


def test_a_deployment_without_a_webhook_queue_refuses_webhooks() -> None:
    world = make_world()
    world.container.webhooks.override(None)
    with pytest.raises(InvalidWebhook, match="does not deliver"):
        world.generate(webhook=HOOK)
    assert used(world) == 0


def test_an_idempotency_key_reused_with_another_webhook_is_a_conflict(world: World) -> None:
    from profilephoto.domain.commands import GenerationRequest
    from profilephoto.domain.errors import IdempotencyConflict

    key = world.upload()
    first = GenerationRequest(key, "professional", idempotency_key="k1", webhook=HOOK)
    accepted = world.generation.request_generation(ALICE, first)
    assert world.generation.request_generation(ALICE, first).job_id == accepted.job_id
    with pytest.raises(IdempotencyConflict):
        world.generation.request_generation(
            ALICE,
            GenerationRequest(key, "professional", idempotency_key="k1", webhook=HOOK + "/o"),
        )
    with pytest.raises(IdempotencyConflict):  # a webhook where there was none is another request
        world.generation.request_generation(
            ALICE, GenerationRequest(key, "professional", idempotency_key="k1")
        )


# --- events of a job's end ------------------------------------------------------------


def test_a_completed_job_queues_one_event_and_a_plain_job_none(world: World) -> None:
    hooked = world.generate(webhook=HOOK)
    world.generate()
    world.process_all()
    (event,) = events(world)
    assert (event.type, event.url, event.job.job_id) == ("job.completed", HOOK, hooked.job_id)
    assert event.id == f"msg_{hooked.job_id.removeprefix('job_')}_completed"


def test_only_the_chosen_ends_make_events(world: World) -> None:
    world.generate(webhook=HOOK, webhook_events=["failed"])
    world.process_all()
    assert events(world) == []


def test_a_canceled_job_makes_a_canceled_event(world: World) -> None:
    accepted = world.generate(webhook=HOOK)
    world.container.services.cancellation_service().cancel_job(ALICE, accepted.job_id)
    (event,) = events(world)
    assert event.type == "job.canceled" and event.job.status is JobStatus.CANCELED


def test_a_failed_job_makes_a_failed_event(world: World) -> None:
    from profilephoto.domain.errors import ContentBlocked

    world.generate(webhook=HOOK)
    world.generator.then(ContentBlocked())
    world.process_all()
    (event,) = events(world)
    assert event.type == "job.failed" and event.job.error.code == "content_blocked"


def test_a_webhook_queue_that_is_down_never_changes_the_job_or_its_push(world: World) -> None:
    from profilephoto.domain.errors import QueueUnavailable

    accepted = world.generate(webhook=HOOK)
    world.container.webhooks().fail_next(QueueUnavailable())
    world.process_all()
    assert world.uow.jobs.get(accepted.job_id).status is JobStatus.COMPLETED
    assert [n.status for _, n in world.notifier.notifications] == [
        JobStatus.PROCESSING,
        JobStatus.COMPLETED,
    ]
    assert used(world) == 1


# --- delivery ---------------------------------------------------------------------------


def completed_event(world: World) -> WebhookEvent:
    world.generate(webhook=HOOK)
    world.process_all()
    (event,) = events(world)
    return event


def test_a_delivery_is_signed_per_standard_webhooks_and_carries_the_job_view(
    world: World,
) -> None:
    event = completed_event(world)
    assert delivery(world).deliver(event, 1).verdict is Verdict.DELIVERED
    (sent,) = sender(world).sent
    payload = Verifier(TEST_SECRET).verify(sent.body, sent.headers)  # raises if it is not
    assert sent.url == HOOK and sent.headers["webhook-id"] == event.id
    assert payload["type"] == "job.completed"
    assert payload["timestamp"] == "2026-11-29T12:00:00.000Z"
    assert payload["data"] == world.job_json(ALICE, event.job.job_id)
    assert payload["data"]["resultUrls"]


def test_the_event_of_a_job_its_owner_deleted_is_withdrawn_not_sent(world: World) -> None:
    event = completed_event(world)
    world.deletion.delete_job(ALICE, event.job.job_id)

    outcome = delivery(world).deliver(event, 3)  # a retry that comes after the delete

    assert sender(world).sent == []
    assert (outcome.verdict, outcome.retry_in) == (Verdict.WITHDRAWN, None)


def test_a_tampered_body_or_another_secret_does_not_verify(world: World) -> None:
    from standardwebhooks import WebhookVerificationError

    event = completed_event(world)
    delivery(world).deliver(event, 1)
    (sent,) = sender(world).sent
    with pytest.raises(WebhookVerificationError):
        Verifier(TEST_SECRET).verify(sent.body.replace(b"completed", b"failed"), sent.headers)
    with pytest.raises(WebhookVerificationError):
        Verifier("whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==").verify(sent.body, sent.headers)


@pytest.mark.parametrize("answer", [500, 503, 429, 404, 301, None])
def test_a_failed_attempt_is_retried_within_10_s_then_later_and_later(
    world: World, answer: int | None
) -> None:
    event = completed_event(world)
    sender(world).answer(answer, answer)
    first = delivery(world).deliver(event, 1)
    second = delivery(world).deliver(event, 2)
    assert first.verdict is Verdict.RETRY and first.retry_in <= timedelta(seconds=10)
    assert second.verdict is Verdict.RETRY and second.retry_in > first.retry_in
    assert delivery(world).deliver(event, 3).verdict is Verdict.DELIVERED
    ids = {s.headers["webhook-id"] for s in sender(world).sent}
    assert ids == {event.id}  # one id per event, the same on every retry


def test_a_410_stops_the_retries(world: World) -> None:
    event = completed_event(world)
    sender(world).answer(410)
    outcome = delivery(world).deliver(event, 1)
    assert (outcome.verdict, outcome.retry_in) == (Verdict.GONE, None)


def test_the_backoff_grows_and_ends_within_24_hours() -> None:
    assert RETRY_DELAYS[0] <= timedelta(seconds=10)
    assert all(a < b or a == b == RETRY_DELAYS[-1] for a, b in itertools.pairwise(RETRY_DELAYS))
    assert sum(RETRY_DELAYS, timedelta()) <= DELIVERY_WINDOW


def test_retries_stop_after_24_hours(world: World) -> None:
    event = completed_event(world)
    sender(world).answer(*[500] * 20)
    attempt, verdicts = 1, []
    while (outcome := delivery(world).deliver(event, attempt)).retry_in is not None:
        world.clock.advance(outcome.retry_in)
        attempt += 1
    verdicts.append(outcome.verdict)
    assert verdicts == [Verdict.ABANDONED]
    assert attempt == len(RETRY_DELAYS) + 1
    assert world.clock.now() - event.occurred_at <= DELIVERY_WINDOW


class DownUntil:
    """A receiver that does not answer until `until` on the world's clock."""

    def __init__(self, world: World, until: timedelta) -> None:
        self.inner, self.clock = sender(world), world.clock
        self.back_at = world.clock.now() + until
        self.refused = 0

    def send(self, url: str, message_id: str, body: bytes) -> int:
        if self.clock.now() < self.back_at:
            self.refused += 1
            raise WebhookUnreachable("connection refused")
        return self.inner.send(url, message_id, body)


def test_a_receiver_down_for_an_hour_gets_every_event_once_it_is_back() -> None:
    world = make_world(daily_limit=20)
    down = DownUntil(world, timedelta(hours=1))
    world.container.webhook_sender.override(down)
    for _ in range(3):
        world.generate(webhook=HOOK)
    canceled = world.generate(webhook=HOOK)
    world.container.services.cancellation_service().cancel_job(ALICE, canceled.job_id)
    world.process_all()
    # The queue, as SQS does: each event comes back when its attempt's backoff says.
    due = [(world.clock.now(), 1, event) for event in events(world)]
    while due:
        due.sort(key=lambda item: item[0])
        at, attempt, event = due.pop(0)
        world.clock.set(max(at, world.clock.now()))
        outcome = delivery(world).deliver(event, attempt)
        if outcome.retry_in is not None:
            due.append((world.clock.now() + outcome.retry_in, attempt + 1, event))
        else:
            assert outcome.verdict is Verdict.DELIVERED
    delivered = [json.loads(s.body) for s in down.inner.sent]
    assert sorted(p["type"] for p in delivered) == ["job.canceled"] + ["job.completed"] * 3
    assert down.refused > 4 * 5  # it was tried all along
    assert world.clock.now() - down.back_at < timedelta(hours=1)


def test_a_delivery_never_changes_the_job_the_quota_or_the_push(world: World) -> None:
    event = completed_event(world)
    before = (world.uow.jobs.get(event.job.job_id), used(world), list(world.notifier.notifications))
    sender(world).answer(500, 410)
    delivery(world).deliver(event, 1)
    delivery(world).deliver(event, 2)
    after = (world.uow.jobs.get(event.job.job_id), used(world), list(world.notifier.notifications))
    assert after == before
