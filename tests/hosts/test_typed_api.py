"""The package ships py.typed: mypy holds a host's code to the public API's types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """
from pathlib import Path

from starlette.requests import Request

import profilephoto


def user_of(request: Request) -> str | None:
    return request.headers.get("x-user")


def run(photo: bytes) -> list[bytes]:
    with profilephoto.local(Path("data")) as app:
        key: str = app.upload("alice", photo)
        job: profilephoto.Job = app.generate(
            "alice", key, count=2, aspect_ratio="4:5", webhook="https://h.example/x",
            webhook_events=["completed"],
        )
        secret: str = app.webhook_secret
        job = app.wait("alice", job.job_id, timeout=60)
        if job.status is profilephoto.JobStatus.FAILED and job.error is not None:
            code: str = job.error.code
            print(code)
        left: int = app.usage("alice").remaining_quota
        print(left, secret, [j.job_id for j in app.jobs("alice").items])
        print(profilephoto.asgi_app(app, user_of))
        return app.results("alice", job.job_id)


try:
    run(b"")
except profilephoto.QuotaExceeded as error:
    print(error.code, error.retry_after)
"""

HOSTS = ("good_host.py", "bad_host.py")
BAD = """
import profilephoto

with profilephoto.memory() as app:
    job = app.generate("alice", "uploads/alice/k.jpg")
    job.jobid
    app.wait("alice", job)
    count: str = app.usage("alice").used
"""


@pytest.mark.slow
def test_mypy_checks_a_hosts_code_against_the_public_api(tmp_path: Path) -> None:
    (tmp_path / "good_host.py").write_text(GOOD)
    (tmp_path / "bad_host.py").write_text(BAD)
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *HOSTS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=280,
    )
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if e.startswith("good_host.py")], checked.stdout
    assert {e.split(":")[1] for e in errors if e.startswith("bad_host.py")} == {"6", "7", "8"}, (
        checked.stdout
    )
