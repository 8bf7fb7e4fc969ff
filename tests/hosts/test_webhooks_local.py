"""Webhooks on the local runtime, over real HTTP: the library's and the local server's
delivery threads POST signed events to a receiver on the loopback (docs/api.md §4.9)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook as Verifier

import profilephoto
from profilephoto.adapters.webhooks.secret import new_secret
from profilephoto.settings import load_settings
from tests.e2e.in_process_server import InProcessServer
from tests.photos import portrait_jpeg
from tests.webhook_receiver import WebhookReceiver

PHOTO = portrait_jpeg()


def uploaded(client: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    """A photo uploaded through the API's ticket; the ticket (its fileKey names the photo)."""
    ticket: dict[str, Any] = client.post(
        "/upload/presigned",
        json={"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": len(PHOTO)},
        headers=auth,
    ).json()
    assert client.put(ticket["uploadUrl"], content=PHOTO, headers=ticket["headers"]).is_success
    return ticket


SECRET = new_secret()


def test_the_library_posts_a_signed_event_when_a_job_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)  # the runtime makes its own
    settings = load_settings(QUALITY_CHECK="off", WEBHOOK_ALLOW_PRIVATE="on")
    with WebhookReceiver() as receiver, profilephoto.local(tmp_path, settings=settings) as app:
        key = app.upload("alice", PHOTO)
        job = app.generate("alice", key, webhook=receiver.url)
        (delivered,) = receiver.wait_for(1)
        done = app.job("alice", job.job_id)
        secret = app.webhook_secret
    with profilephoto.local(tmp_path, settings=settings) as reopened:
        assert reopened.webhook_secret == secret  # made once, kept in the data directory

    payload = Verifier(secret).verify(delivered.body, delivered.headers)
    assert delivered.path == "/hooks/profilephoto"
    assert payload["type"] == "job.completed" and payload["data"]["jobId"] == job.job_id
    assert payload["data"]["status"] == "completed" == done.status
    assert len(payload["data"]["resultUrls"]) == 1
    assert delivered.headers["content-type"] == "application/json"


@pytest.mark.slow
def test_the_local_server_delivers_from_its_own_queue_and_retries(tmp_path: Path) -> None:
    env = {"QUALITY_CHECK": "off", "WEBHOOK_ALLOW_PRIVATE": "on", "WEBHOOK_SECRET": SECRET}
    with (
        WebhookReceiver() as receiver,
        InProcessServer(tmp_path, settings=load_settings(**env)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        auth = {"Authorization": f"Bearer {server.token('alice')}"}
        ticket = uploaded(client, auth)
        receiver.answers.append(503)  # the first attempt fails; the retry comes 5 s later
        generated = client.post(
            "/generate",
            json={
                "fileKey": ticket["fileKey"],
                "style": "professional",
                "webhook": receiver.url,
                "webhookEvents": ["completed", "failed"],
            },
            headers=auth,
        )
        assert generated.status_code == 202, generated.text
        first, second = receiver.wait_for(2)
        job = client.get(f"/jobs/{generated.json()['jobId']}", headers=auth).json()

    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    for delivered in (first, second):
        payload = Verifier(SECRET).verify(delivered.body, delivered.headers)
        assert payload["data"]["jobId"] == job["jobId"]
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) >= 4
    assert json.loads(second.body)["data"]["status"] == job["status"] == "completed"


@pytest.mark.slow
def test_the_local_server_refuses_a_webhook_to_the_loopback_when_private_is_off(
    tmp_path: Path,
) -> None:
    with (
        InProcessServer(tmp_path, settings=load_settings(QUALITY_CHECK="off")) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        auth = {"Authorization": f"Bearer {server.token('alice')}"}
        ticket = uploaded(client, auth)
        for url in ("https://localhost/hook", "https://169.254.169.254/", "http://example.com/"):
            refused = client.post(
                "/generate",
                json={"fileKey": ticket["fileKey"], "style": "professional", "webhook": url},
                headers=auth,
            )
            assert refused.status_code == 400 and refused.json()["code"] == "invalid_webhook"
        assert client.get("/usage", headers=auth).json()["used"] == 0


def test_the_library_signs_with_webhook_secret_when_it_is_set(tmp_path: Path) -> None:
    settings = load_settings(QUALITY_CHECK="off", WEBHOOK_SECRET=SECRET)
    with profilephoto.local(tmp_path, settings=settings) as app:
        assert app.webhook_secret == SECRET
    with profilephoto.memory() as app:
        assert app.webhook_secret.startswith("whsec_")


def test_the_memory_runtime_delivers_from_its_own_queue_to_its_recorder() -> None:
    from profilephoto.adapters.local.worker import QueueWorker
    from profilephoto.adapters.memory import TEST_SECRET
    from profilephoto.containers.memory import MemoryContainer
    from profilephoto.domain.commands import GenerationRequest
    from profilephoto.domain.models import Identity
    from profilephoto.entrypoints.aws_lambda.webhooks import deliver_batch
    from profilephoto.entrypoints.library.worker import process_batch

    container = MemoryContainer()
    app = container.application()
    alice = Identity(user_id="alice")
    key = "uploads/alice/1764400000000_" + "0" * 32 + ".jpg"
    container.uploads().write(key, PHOTO, "image/jpeg")
    hook = "https://hooks.example.com/profilephoto"
    accepted = app.generation.request_generation(
        alice, GenerationRequest(key, "professional", webhook=hook)
    )
    QueueWorker(container.queue(), process_batch(app)).run_once()
    QueueWorker(container.webhooks(), lambda event: deliver_batch(app, event)).run_once()

    (sent,) = container.webhook_sender().sent
    payload = Verifier(TEST_SECRET).verify(sent.body, sent.headers)
    assert (payload["type"], payload["data"]["jobId"]) == ("job.completed", accepted.job_id)
    assert container.webhooks().depth() == 0  # delivered: settled, not coming back
