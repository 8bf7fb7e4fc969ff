"""Run on the zip functions' layer alone: `python -S -I layer_probe.py PATH...` puts only the
PATHs (the layer, the runtime's boto3, the code) before the standard library, imports the
five zip handlers and builds what the API serves from, with no network and no AWS."""

from __future__ import annotations

import importlib
import os
import sys

sys.path[:0] = sys.argv[1:]
os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="probe",
    AWS_SECRET_ACCESS_KEY="probe",
    UPLOAD_BUCKET="uploads",
    RESULT_BUCKET="results",
    SQS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
    C2PA_SECRET_ARN="arn:aws:secretsmanager:us-east-1:123456789012:secret:c2pa-AbCdEf",
    POWERTOOLS_METRICS_DISABLED="true",
)

from profilephoto.containers.aws import build_aws_container  # noqa: E402
from profilephoto.settings import load_settings  # noqa: E402

HANDLERS = ("file_transfer", "api", "websocket", "ws_authorizer", "reconcile")
for name in HANDLERS:
    module = importlib.import_module(f"profilephoto.entrypoints.aws_lambda.{name}")
    assert callable(module.handler), name
services = build_aws_container(load_settings()).services()
for service in ("upload_service", "generation_service", "query_service", "reconciler"):
    getattr(services, service)()
heavy = {"google.genai", "PIL", "c2pa", "numpy"} & set(sys.modules)
assert not heavy, heavy
print(f"layer ok: {len(HANDLERS)} handlers")
