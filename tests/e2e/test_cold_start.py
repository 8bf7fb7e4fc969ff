"""API handlers stay light at cold start: no google.genai, Pillow, numpy, face detector or
face matcher."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from profilephoto.entrypoints.aws_lambda import api, file_transfer, runtime
from tests.e2e.lambda_events import CONTEXT, rest

styles = api.handler(rest("styles"), CONTEXT)
application = runtime.application()
application.uploads, application.generation, application.queries
print(json.dumps({
    "status": styles["statusCode"],
    "genai": sorted(m for m in sys.modules if m.startswith("google.genai")),
    "pillow": sorted(m for m in sys.modules if m == "PIL" or m.startswith("PIL.")),
    "detector": sorted(
        m for m in sys.modules
        if m.split(".")[0] in ("numpy", "ai_edge_litert") or m.endswith("photo_check.litert")
    ),
    "matcher": sorted(
        m for m in sys.modules
        if m.split(".")[0] == "onnxruntime" or m.startswith("profilephoto.adapters.likeness")
    ),
}))
"""


def test_the_api_handlers_import_neither_genai_nor_pillow_nor_the_face_models():
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "UPLOAD_BUCKET": "u",
        "RESULT_BUCKET": "r",
        "SQS_QUEUE_URL": "http://127.0.0.1:9/q",
        "GEMINI_API_KEY": "set-so-a-careless-container-would-build-gemini",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"status": 200, "genai": [], "pillow": [], "detector": [], "matcher": []}
