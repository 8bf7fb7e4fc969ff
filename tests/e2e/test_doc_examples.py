"""The docs' shell examples, run as written against `profilephoto serve` (curl, jq, bash)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from profilephoto.entrypoints.sample_photo import sample_portrait
from tests.e2e.local_server import LocalServer, command

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PHOTO = sample_portrait()


def sh_block(doc: str, heading: str) -> str:
    """The first ```sh block after `heading` in docs/ or the README."""
    text = (ROOT / doc).read_text()
    after = text[text.index(heading) :]
    return re.search(r"```sh\n(.*?)```", after, re.S).group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    running = LocalServer(tmp_path_factory.mktemp("docs") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The offline stylizer takes a minute an image: a job is still running when canceled."""
    data = tmp_path_factory.mktemp("slow") / "data"
    running = LocalServer(data, env={"OFFLINE_DELAY_SECONDS": "60"}).start()
    yield running
    running.crash()  # its worker is waiting out the delay; nothing here needs a clean stop


def bash(script: str, cwd: Path, timeout: float, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env={**os.environ, "NO_PROXY": "127.0.0.1", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def queued_job(server: LocalServer, token: str) -> dict:
    http = httpx.Client(base_url=server.url, headers={"Authorization": token}, timeout=10)
    ticket = http.post(
        "/upload/presigned",
        json={"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": len(PHOTO)},
    ).json()
    httpx.put(ticket["uploadUrl"], content=PHOTO, headers=ticket["headers"]).raise_for_status()
    accepted = http.post("/generate", json={"fileKey": ticket["fileKey"], "style": "casual"})
    assert accepted.status_code == 202, accepted.text
    return accepted.json()


def test_the_deploy_walk_through_runs_as_written_against_the_local_server(server, tmp_path):
    (tmp_path / "me.jpg").write_bytes(PHOTO)
    script = sh_block("docs/deploy.md", "## Walk-through")
    run = bash(script, tmp_path, timeout=120, API=server.url, TOKEN=server.token("walker"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "command not found" not in run.stderr  # uuidgen is not everywhere
    assert json.loads((tmp_path / "job.json").read_text())["status"] == "queued"
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "completed"
    with Image.open(tmp_path / "result.png") as result:
        assert result.format == "PNG"


def test_the_walk_throughs_poll_loop_ends_on_a_canceled_job(slow_server, tmp_path):
    token = slow_server.token("canceler")
    job = queued_job(slow_server, token)
    canceled = httpx.post(
        f"{slow_server.url}/jobs/{job['jobId']}/cancel", headers={"Authorization": token}
    )
    assert canceled.json()["status"] == "canceled"
    (tmp_path / "job.json").write_text(json.dumps(job))
    walk = sh_block("docs/deploy.md", "## Walk-through")
    poll = walk[walk.index("# 4.") : walk.index("# 5.")]
    run = bash(poll, tmp_path, timeout=30, API=slow_server.url, TOKEN=token)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["status"] == "canceled"


def test_offline_delay_seconds_keeps_a_job_processing_so_it_can_be_canceled_by_hand(slow_server):
    token = slow_server.token("by-hand")
    http = httpx.Client(base_url=slow_server.url, headers={"Authorization": token}, timeout=10)
    job_id = queued_job(slow_server, token)["jobId"]
    deadline = time.monotonic() + 30
    while http.get(f"/jobs/{job_id}").json()["status"] != "processing":
        assert time.monotonic() < deadline, "the worker never claimed the job"
        time.sleep(0.1)
    assert http.post(f"/jobs/{job_id}/cancel").json() == {"jobId": job_id, "status": "canceled"}
    assert http.get(f"/jobs/{job_id}").json()["status"] == "canceled"
    assert http.get("/usage").json()["used"] == 0


def test_the_readmes_curl_with_a_local_token_runs_as_written(server):
    line = next(
        line.strip()
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.strip().startswith('curl -H "Authorization:')
    )
    script = line.replace(".venv/bin/profilephoto", shlex.join(command())).replace(
        "http://127.0.0.1:8000", server.url
    )
    run = bash(script, ROOT, timeout=30, PROFILEPHOTO_DATA_DIR=str(server.data_dir))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["used"] == 0
