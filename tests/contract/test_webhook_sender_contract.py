"""The WebhookSender contract, held by the HTTP sender (against a real receiver on the
loopback) and by the memory fake alike: signed per Standard Webhooks, the receiver's status
returned, addresses the SSRF rule refuses never reached, no redirect followed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from standardwebhooks import Webhook as Verifier

from profilephoto.adapters.memory import TEST_SECRET, RecordingWebhookSender, StaticResolver
from profilephoto.adapters.webhooks.http_sender import HttpWebhookSender
from profilephoto.domain.errors import WebhookUnreachable
from profilephoto.domain.ports import WebhookSender
from tests.webhook_receiver import WebhookReceiver

BODY = b'{"type":"job.completed","timestamp":"2026-12-04T12:00:00.000Z","data":{}}'


@dataclass
class Harness:
    """A sender whose receiver is told what to answer, and what it received."""

    sender: WebhookSender
    url: str  # the receiver, on a name the sender resolves to the loopback
    port: int
    received: Any  # () -> list[(headers, body)]
    answer: Any  # (status) -> None


def resolver() -> StaticResolver:
    return StaticResolver(
        {
            "hooks.example": ["127.0.0.1"],
            "metadata.example": ["169.254.169.254"],
            "split.example": ["93.184.215.14", "10.0.0.7"],
        }
    )


@pytest.fixture(params=["http", "memory"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "memory":
        recording = RecordingWebhookSender(TEST_SECRET, resolver(), allow_private=True)
        yield Harness(
            recording,
            "https://hooks.example/hooks/profilephoto",
            443,
            lambda: [(s.headers, s.body) for s in recording.sent],
            recording.answer,
        )
        return
    with WebhookReceiver() as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        http = HttpWebhookSender(lambda: TEST_SECRET, resolver(), allow_private=True, timeout=5)
        yield Harness(
            http,
            f"http://hooks.example:{port}/hooks/profilephoto",
            port,
            lambda: [(r.headers, r.body) for r in receiver.received],
            receiver.answers.append,
        )


def guarded(harness: Harness) -> WebhookSender:
    """The same kind of sender with the SSRF guard on (the default)."""
    if isinstance(harness.sender, RecordingWebhookSender):
        return RecordingWebhookSender(TEST_SECRET, resolver())
    return HttpWebhookSender(lambda: TEST_SECRET, resolver(), timeout=5)


def test_an_attempt_is_signed_per_standard_webhooks(harness: Harness) -> None:
    assert harness.sender.send(harness.url, "msg_1_completed", BODY) == 200
    [(headers, body)] = harness.received()
    assert body == BODY and headers["webhook-id"] == "msg_1_completed"
    assert Verifier(TEST_SECRET).verify(body, headers) == {
        "type": "job.completed",
        "timestamp": "2026-12-04T12:00:00.000Z",
        "data": {},
    }


def test_a_sender_may_be_called_from_many_threads_at_once(harness: Harness) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ids = [f"msg_{n}_completed" for n in range(16)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: harness.sender.send(harness.url, i, BODY), ids))
    assert statuses == [200] * 16
    received = harness.received()
    assert sorted(h["webhook-id"] for h, _ in received) == sorted(ids)
    for headers, body in received:
        Verifier(TEST_SECRET).verify(body, headers)


@pytest.mark.parametrize("status", [410, 500, 302])
def test_the_receivers_status_is_returned_and_a_redirect_not_followed(
    harness: Harness, status: int
) -> None:
    harness.answer(status)
    assert harness.sender.send(harness.url, "msg_1_failed", BODY) == status
    assert len(harness.received()) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example:{port}/x",  # a name that resolves to 127.0.0.1: the receiver
        "http://127.0.0.1:{port}/x",
        "http://metadata.example/latest/meta-data/",  # a name that resolves to it
        "http://169.254.169.254/latest/meta-data/",
        "http://split.example/x",  # one private address among public ones
        "http://[::1]:{port}/x",
    ],
)
def test_an_address_the_ssrf_rule_refuses_is_never_reached(harness: Harness, url: str) -> None:
    with pytest.raises(WebhookUnreachable, match="resolves to"):
        guarded(harness).send(url.format(port=harness.port), "msg_1_completed", BODY)
    assert harness.received() == []


def test_the_http_sender_gives_up_on_a_receiver_that_does_not_answer() -> None:
    import socket

    with socket.socket() as silent:  # accepts the connection (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        sender = HttpWebhookSender(lambda: TEST_SECRET, resolver(), allow_private=True, timeout=0.3)
        with pytest.raises(WebhookUnreachable, match="no answer"):
            sender.send(f"http://hooks.example:{port}/x", "msg_1_completed", BODY)


def test_the_http_sender_waits_15_seconds_by_default() -> None:
    from profilephoto.domain.webhooks import TIMEOUT_SECONDS

    assert TIMEOUT_SECONDS == 15
    assert HttpWebhookSender(lambda: TEST_SECRET, resolver())._timeout == TIMEOUT_SECONDS


def test_the_http_sender_cuts_off_a_receiver_that_trickles_its_answer() -> None:
    import socket
    import threading
    import time

    stop = threading.Event()

    def trickle(listener: socket.socket) -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            # One header byte every 50 ms: each read is quick, the answer never ends.
            while not stop.wait(0.05):
                try:
                    conn.sendall(b"x")
                except OSError:
                    return

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        threading.Thread(target=trickle, args=(listener,), daemon=True).start()
        sender = HttpWebhookSender(lambda: TEST_SECRET, resolver(), allow_private=True, timeout=0.5)
        started = time.monotonic()
        try:
            with pytest.raises(WebhookUnreachable, match="no answer"):
                sender.send(f"http://hooks.example:{port}/x", "msg_1_completed", BODY)
        finally:
            stop.set()
    assert time.monotonic() - started < 2
