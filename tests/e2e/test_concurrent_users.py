"""Two users hammering the local server from many threads each get only their own answers."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from profilephoto.entrypoints.sample_photo import sample_portrait
from tests.e2e.in_process_server import InProcessServer

pytestmark = pytest.mark.slow
USERS = ("alice", "bob")
THREADS_PER_USER = 4
ROUNDS = 40  # x 3 requests x 8 threads = 960 requests


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    # Threads switch every 10 us instead of 5 ms: a race that needs an unlucky switch between
    # two lines now happens within a few hundred requests instead of once in a blue moon.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def as_dict(response: httpx.Response) -> dict[str, Any]:
    """The JSON object answered, or {} when the answer is not one (it then matches nothing)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def own_job(server: InProcessServer, http: httpx.Client) -> str:
    photo = sample_portrait(160, 200)
    ticket = http.post(
        "/upload/presigned",
        json={"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": len(photo)},
    ).json()
    put = httpx.put(ticket["uploadUrl"], content=photo, headers=ticket["headers"], timeout=30)
    assert put.status_code == 200, put.text
    accepted = http.post("/generate", json={"fileKey": ticket["fileKey"], "style": "professional"})
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["jobId"])


def test_two_users_racing_through_the_local_server_never_see_each_others_answers(
    tmp_path: Path, tiny_switch_interval: None
) -> None:
    with InProcessServer(tmp_path / "data") as server:
        clients = {
            user: httpx.Client(
                base_url=server.url,
                headers={"Authorization": f"Bearer {server.token(user)}"},
                timeout=60,
            )
            for user in USERS
        }
        jobs = {user: own_job(server, clients[user]) for user in USERS}
        outcomes: Counter[str] = Counter()
        lock = threading.Lock()

        def hammer(user: str) -> None:
            http = clients[user]
            for _ in range(ROUNDS):
                listed = http.get("/jobs")
                one = http.get(f"/jobs/{jobs[user]}")
                upload = http.post(
                    "/upload/presigned",
                    json={"fileName": "a.png", "contentType": "image/png", "fileSize": 10},
                )
                verdicts = ["500" if r.status_code >= 500 else "ok" for r in (listed, one, upload)]
                answers = [as_dict(r) for r in (listed, one, upload)]
                verdicts += [
                    "ok" if mine else "foreign"
                    for mine in (
                        [item.get("jobId") for item in answers[0].get("items", [None])]
                        == [jobs[user]],
                        answers[1].get("jobId") == jobs[user],
                        str(answers[2].get("fileKey")).startswith(f"uploads/{user}/"),
                    )
                ]
                with lock:
                    outcomes.update(verdicts)

        threads = [
            threading.Thread(target=hammer, args=(user,))
            for user in USERS
            for _ in range(THREADS_PER_USER)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(240)
        for http in clients.values():
            http.close()

    assert not any(thread.is_alive() for thread in threads)
    assert outcomes["foreign"] == 0 and outcomes["500"] == 0, outcomes
    assert outcomes["ok"] >= len(threads) * ROUNDS * 3
