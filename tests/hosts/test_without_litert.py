"""On a Python LiteRT has no wheel for (ai-edge-litert 1.4.0 stops at 3.12), the local
runtime says what to do at start instead of leaving every job queued for ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = """
import json, sys
sys.modules["ai_edge_litert"] = None  # importing it fails, as where no wheel installs
import profilephoto
from profilephoto.entrypoints.local.server import create_app
from tests.photos import portrait_jpeg

try:
    create_app(sys.argv[1])
    served = "started"
except Exception as error:
    served = f"{type(error).__name__}: {error}"
try:
    with profilephoto.local(sys.argv[1]) as app:
        key = app.upload("alice", portrait_jpeg())
        job = app.wait("alice", app.generate("alice", key, style="professional").job_id, timeout=30)
        hosted = job.status.value
except Exception as error:
    hosted = f"{type(error).__name__}: {error}"
print(json.dumps({"served": served, "hosted": hosted}))
"""


def run(tmp_path: Path, **env: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"}
    done = subprocess.run(
        [sys.executable, "-c", HOST, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**environment, **env},
        timeout=180,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_without_litert_the_local_runtime_refuses_to_start_naming_quality_check(tmp_path):
    outcome = run(tmp_path, QUALITY_CHECK="on")
    for said in outcome.values():
        assert said.startswith("ConfigurationError: QUALITY_CHECK=on needs ai-edge-litert")
        assert "set QUALITY_CHECK=off" in said


@pytest.mark.slow
def test_without_litert_and_the_check_off_jobs_complete(tmp_path):
    assert run(tmp_path, QUALITY_CHECK="off") == {"served": "started", "hosted": "completed"}


SERVE = """
import sys
sys.modules["ai_edge_litert"] = None
from profilephoto.entrypoints.cli import main
sys.exit(main(["serve", "--port", sys.argv[2], "--data-dir", sys.argv[1]]))
"""


@pytest.mark.slow
def test_without_litert_serve_says_what_to_do_and_prints_no_url(tmp_path):
    from tests.e2e.aws_stack import free_port

    environment = {k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"}
    done = subprocess.run(
        [sys.executable, "-c", SERVE, str(tmp_path / "data"), str(free_port())],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**environment, "QUALITY_CHECK": "on"},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("profilephoto serve: QUALITY_CHECK=on needs ai-edge-litert")
