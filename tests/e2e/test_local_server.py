"""`profilephoto serve` as a subprocess, over real HTTP and a real WebSocket client."""

from __future__ import annotations

import io
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from PIL import Image
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from profilephoto.entrypoints.sample_photo import sample_portrait
from tests.e2e.local_server import LocalServer
from tests.integration.fake_gemini import FakeGemini, Reply

pytestmark = pytest.mark.slow
PHOTO = sample_portrait()


class Client:
    """A caller of the local server with one user's bearer token."""

    def __init__(self, server: LocalServer, user_id: str = "alice") -> None:
        self.server = server
        self.token = server.token(user_id)
        self.http = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )

    def upload(self, data: bytes = PHOTO) -> dict[str, Any]:
        ticket = self.presign(len(data))
        assert ticket.status_code == 200, ticket.text
        body = ticket.json()
        put = httpx.put(body["uploadUrl"], content=data, headers=body["headers"], timeout=10)
        assert put.status_code == 200, put.text
        return body

    def presign(self, size: int = len(PHOTO)) -> httpx.Response:
        request = {"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": size}
        return self.http.post("/upload/presigned", json=request)

    def generate(self, file_key: str, **extra: str) -> httpx.Response:
        return self.http.post(
            "/generate", json={"fileKey": file_key, "style": "professional", **extra}
        )

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.http.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for(self, job_id: str, statuses: set[str], timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["status"] in statuses:
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} never reached {statuses}:\n{self.server.output()}")


def decodes(url: str) -> Image.Image:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def tampered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_photo_goes_from_upload_to_a_live_completed_message_and_a_decodable_result(server):
    client = Client(server)
    with connect(f"ws://127.0.0.1:{server.port}/ws?token={client.token}") as socket:
        socket.send(json.dumps({"action": "ping"}))
        pong = json.loads(socket.recv(timeout=10))
        assert pong["type"] == "pong" and pong["connectionId"]

        ticket = client.upload()
        assert ticket["uploadUrl"].startswith(f"{server.url}/objects/")
        accepted = client.generate(ticket["fileKey"], connectionId=pong["connectionId"])
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["status"] == "queued"
        job_id = accepted.json()["jobId"]

        deadline = time.monotonic() + 60
        message: dict[str, Any] = {}
        statuses: list[str] = []
        while message.get("status") not in ("completed", "failed"):
            message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            assert message["type"] == "jobStatus" and message["jobId"] == job_id
            statuses.append(message["status"])

    assert message["status"] == "completed", message
    assert statuses == ["processing", "completed"]  # the worker's claim is pushed too
    assert message["resultUrl"].startswith(f"{server.url}/objects/")
    assert decodes(message["resultUrl"]).size[0] > 0
    assert httpx.get(tampered(message["resultUrl"], expires="9999999999")).status_code == 403
    job = client.job(job_id)
    assert job["status"] == "completed" and job["resultUrl"].startswith(server.url)
    listed = client.http.get("/jobs").json()["items"]
    assert [item["jobId"] for item in listed] == [job_id]
    assert client.http.get("/usage").json()["used"] == 1

    # The user deletes the job: its photos are gone from the server, the charge stays.
    deleted = client.http.delete(f"/jobs/{job_id}")
    assert (deleted.status_code, deleted.json()) == (200, {"jobId": job_id, "deleted": True})
    assert httpx.get(message["resultUrl"]).status_code == 404
    assert client.http.get(f"/jobs/{job_id}").status_code == 404
    assert client.http.get("/usage").json()["used"] == 1


def test_object_urls_are_refused_when_tampered_with_or_sent_the_wrong_type(server):
    client = Client(server)
    body = client.presign().json()
    forged = tampered(body["uploadUrl"], size="999999999")
    refused = httpx.put(forged, content=PHOTO, headers=body["headers"])
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    other_key = body["uploadUrl"].replace("/uploads/alice/", "/uploads/mallory/")
    assert httpx.put(other_key, content=PHOTO, headers=body["headers"]).status_code == 403
    wrong_type = httpx.put(
        body["uploadUrl"], content=PHOTO, headers={**body["headers"], "Content-Type": "text/html"}
    )
    assert wrong_type.status_code == 400
    # As S3 refuses a PUT without the signed encryption header the ticket names.
    assert body["headers"]["x-amz-server-side-encryption"] == "AES256"
    plain = httpx.put(body["uploadUrl"], content=PHOTO, headers={"Content-Type": "image/jpeg"})
    assert plain.status_code == 403 and "x-amz-server-side-encryption" in plain.json()["error"]
    unsigned = httpx.get(body["uploadUrl"].split("?", 1)[0])
    assert unsigned.status_code == 403
    assert httpx.get(tampered(body["uploadUrl"], sig="0" * 64)).status_code == 403


def test_an_upload_url_takes_exactly_the_declared_file_size_over_http(server):
    client = Client(server)
    body = client.presign(size=len(PHOTO)).json()
    for wrong in (PHOTO + b"\x00" * 4096, PHOTO[:-1]):
        refused = httpx.put(body["uploadUrl"], content=wrong, headers=body["headers"])
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert client.generate(body["fileKey"]).json()["code"] == "upload_not_found"
    stored = httpx.put(body["uploadUrl"], content=PHOTO, headers=body["headers"])
    assert stored.status_code == 200


def test_requests_without_a_valid_token_get_a_contract_401(server):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        response = httpx.post(f"{server.url}/generate", json={}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": response.json()["error"], "code": "unauthorized"}
        # The styles too, as on AWS (docs/api.md §3.7).
        assert httpx.get(f"{server.url}/styles", headers=headers).status_code == 401
    preflight = httpx.options(
        f"{server.url}/generate",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code in (200, 204)
    assert "Authorization" in preflight.headers["access-control-allow-headers"]


def test_unknown_paths_and_methods_answer_in_the_api_error_shape(server):
    missing = httpx.get(f"{server.url}/no-such-route")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not Found", "code": "not_found"}
    wrong = httpx.delete(f"{server.url}/healthz")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD"}  # Starlette's: a set
    for method, path, allowed in (
        ("TRACE", "/usage", "GET, OPTIONS"),
        ("PUT", "/me", "DELETE, OPTIONS"),
    ):
        response = httpx.request(method, f"{server.url}{path}")
        assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
        assert response.headers["allow"] == allowed


def test_a_path_with_a_trailing_newline_is_not_found_and_deletes_nothing(server):
    # Python's `$` matches before a final "\n": `DELETE /me%0A` used to delete the account.
    alice = Client(server)
    key = alice.upload()["fileKey"]
    for method, path in (("GET", "/usage"), ("GET", "/styles"), ("DELETE", "/me")):
        for tail in ("%0A", "%0D%0A"):
            response = alice.http.request(method, path + tail)
            assert response.status_code == 404, (method, path + tail, response.text)
            assert response.json()["code"] == "not_found"
    assert alice.generate(key).status_code == 202  # the upload and the account are still there


def test_a_websocket_without_a_valid_token_is_refused(server):
    with pytest.raises(InvalidStatus, match=r"HTTP 403"):
        connect(f"ws://127.0.0.1:{server.port}/ws?token=forged").recv(timeout=5)


def test_the_daily_limit_answers_429_with_the_reset_time(tmp_path):
    server = LocalServer(tmp_path / "data", env={"DAILY_LIMIT": "1"}).start()
    try:
        client = Client(server)
        keys = [client.upload()["fileKey"], client.upload()["fileKey"]]
        first = client.generate(keys[0])
        assert first.status_code == 202 and first.json()["remainingQuota"] == 0
        second = client.generate(keys[1])
        assert second.status_code == 429
        assert second.json() == {
            "error": second.json()["error"],
            "code": "quota_exceeded",
            "remainingQuota": 0,
        }
        assert 0 < int(second.headers["retry-after"]) <= 24 * 3600
        again = client.presign()
        assert again.status_code == 429
        assert again.json()["code"] == "quota_exceeded" and again.json()["remainingQuota"] == 0
        assert int(again.headers["retry-after"]) > 0
    finally:
        server.stop()


def test_a_job_survives_a_crash_mid_generation_and_completes_after_a_restart(tmp_path):
    # The message comes back only after the lease is over, even if the crashed worker was
    # slow to claim (its first claim also builds the Gemini client).
    timing = {"PROCESSING_LEASE_SECONDS": "10", "LOCAL_QUEUE_VISIBILITY_TIMEOUT": "20"}
    model = FakeGemini(default=Reply(delay=120)).start()  # answers long after the crash
    gemini = {"GEMINI_API_KEY": "test-key", "GOOGLE_GEMINI_BASE_URL": model.url}
    slow = LocalServer(tmp_path / "data", env={**timing, **gemini}).start()
    try:
        client = Client(slow)
        job_id = client.generate(client.upload()["fileKey"]).json()["jobId"]
        assert client.wait_for(job_id, {"processing"}, timeout=20)["status"] == "processing"
    finally:
        slow.crash()
        model.stop()

    restarted = LocalServer(tmp_path / "data", env=timing)
    restarted.port, restarted.url = slow.port, slow.url  # the stored URLs keep working
    restarted.start()
    try:
        client = Client(restarted)
        job = client.wait_for(job_id, {"completed", "failed"}, timeout=45)
        assert job["status"] == "completed", job
        assert decodes(job["resultUrl"]).size[0] > 0
        assert client.http.get("/usage").json()["used"] == 1
    finally:
        restarted.stop()


def test_bodies_that_are_not_utf8_or_nest_too_deep_are_400_over_http(server):
    client = Client(server)
    for path in ("/upload/presigned", "/generate"):
        for content in (b"\xff\xfe", b"[" * 2048):
            response = client.http.post(path, content=content)
            assert response.status_code == 400, (path, content[:4], response.text)
            assert response.json()["code"] == "invalid_request"
    for limit in ("\u00b2", "9" * 5000):
        response = client.http.get("/jobs", params={"limit": limit})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_request")
