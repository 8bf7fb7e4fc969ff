"""A host's standard output is its own: the library logs to standard error."""

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
from pathlib import Path
import profilephoto
from tests.photos import portrait_jpeg

with profilephoto.local(sys.argv[1]) as app:
    key = app.upload("alice", portrait_jpeg())
    job = app.wait("alice", app.generate("alice", key, style="professional").job_id)
    print(json.dumps({"status": job.status.value, "images": len(app.results("alice", job.job_id))}))
"""


@pytest.mark.slow
def test_a_host_printing_json_gets_only_its_own_lines_on_stdout(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"}
    done = subprocess.run(
        [sys.executable, "-c", HOST, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=180,
        check=True,
    )
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"status": "completed", "images": 1}
    ]
    logged = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert {"step generate", "step store"} <= {line["message"] for line in logged}
