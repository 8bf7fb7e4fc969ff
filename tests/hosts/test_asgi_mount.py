"""A host's FastAPI server serves the HTTP API under its own prefix, with its own auth."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

import profilephoto
from profilephoto.settings import load_settings
from tests.photos import portrait_jpeg

BASE = "http://testserver/photos"


def who(request: Request) -> str | None:
    """The host's own authentication: here, a header its gateway would have set."""
    return request.headers.get("x-user")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(QUALITY_CHECK="off", ALLOWED_ORIGINS="https://host.example")
    with profilephoto.local(tmp_path, base_url=BASE, settings=settings) as app:
        server = FastAPI()

        @server.get("/hello")
        def hello() -> dict[str, str]:
            return {"host": "mine"}

        server.mount("/photos", profilephoto.asgi_app(app, who))
        with TestClient(server) as client:
            yield client


def as_alice(**headers: str) -> dict[str, str]:
    return {"x-user": "alice", **headers}


def test_a_job_runs_through_the_mounted_api(host: TestClient) -> None:
    photo = portrait_jpeg()
    ticket = host.post(
        "/photos/upload/presigned",
        json={"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": len(photo)},
        headers=as_alice(),
    ).json()
    assert ticket["uploadUrl"].startswith(f"{BASE}/objects/")
    put = host.put(ticket["uploadUrl"], content=photo, headers=ticket["headers"])
    assert put.status_code == 200

    body = {"fileKey": ticket["fileKey"], "style": "casual"}
    accepted = host.post("/photos/generate", json=body, headers=as_alice())
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["jobId"]
    job = poll(host, f"/photos/jobs/{job_id}")

    assert job["status"] == "completed"
    image = host.get(job["resultUrl"])
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    assert host.get("/hello").json() == {"host": "mine"}


def test_the_hosts_authenticate_decides_who_is_calling(host: TestClient) -> None:
    anonymous = host.get("/photos/usage")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    assert host.get("/photos/usage", headers=as_alice()).json()["used"] == 0
    # The bearer tokens of `profilephoto serve` mean nothing here.
    assert host.get("/photos/usage", headers={"Authorization": "Bearer x"}).status_code == 401


def test_the_api_keeps_its_errors_cors_and_routes_under_the_prefix(host: TestClient) -> None:
    bad = host.post("/photos/generate", content=b"{", headers=as_alice())
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"
    missing = host.get("/photos/jobs/job_" + "0" * 32, headers=as_alice())
    assert missing.status_code == 404 and missing.json()["code"] == "job_not_found"
    unknown = host.get("/photos/nowhere", headers=as_alice())
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    preflight = host.options(
        "/photos/generate",
        headers={"Origin": "https://host.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == "https://host.example"


def test_the_mounted_api_matches_paths_whole_and_says_which_methods_a_path_allows(
    host: TestClient,
) -> None:
    for method, path in (("GET", "/photos/usage%0A"), ("DELETE", "/photos/me%0A")):
        response = host.request(method, path, headers=as_alice())
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert host.get("/photos/usage", headers=as_alice()).status_code == 200  # still there
    traced = host.request("TRACE", "/photos/usage", headers=as_alice())
    assert traced.status_code == 405 and traced.headers["allow"] == "GET, OPTIONS"


def test_an_async_authenticate_is_awaited(tmp_path: Path) -> None:
    async def token_check(request: Request) -> str | None:
        return "bob" if request.headers.get("authorization") == "Token b" else None

    with profilephoto.memory() as app:
        server = FastAPI()
        server.mount("/api", profilephoto.asgi_app(app, token_check))
        with TestClient(server) as client:
            assert client.get("/api/usage", headers={"Authorization": "Token b"}).status_code == 200
            assert client.get("/api/usage").status_code == 401


def poll(client: TestClient, path: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(path, headers=as_alice()).json()
        if job["status"] in ("completed", "failed", "canceled") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)
