"""Run inside the worker image's packages alone: `python -S -I worker_image_probe.py PHOTO
PATH...` puts only the PATHs (the packages, the runtime's boto3, the code) before the
standard library, builds the worker as AWS would and makes it check a photo and label a
picture, with no network and no AWS."""

from __future__ import annotations

import io
import os
import sys

sys.path[:0] = sys.argv[2:]
os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="probe",
    AWS_SECRET_ACCESS_KEY="probe",
    UPLOAD_BUCKET="uploads",
    RESULT_BUCKET="results",
    SQS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
    GEMINI_API_KEY="probe-key",
    C2PA_SECRET_ARN="arn:aws:secretsmanager:us-east-1:123456789012:secret:c2pa-AbCdEf",
    POWERTOOLS_METRICS_DISABLED="true",
)

from PIL import Image  # noqa: E402

from profilephoto.adapters.labels.c2pa_labeler import C2paContentLabeler  # noqa: E402
from profilephoto.adapters.labels.certificates import create_local_chain  # noqa: E402
from profilephoto.containers.aws import build_aws_container  # noqa: E402
from profilephoto.domain.models import GeneratedImage, ImageData  # noqa: E402
from profilephoto.entrypoints.aws_lambda import process  # noqa: E402
from profilephoto.settings import load_settings  # noqa: E402

container = build_aws_container(load_settings())
services = container.services()
services.processing_service()  # every adapter the worker uses, built
container.generator()._client_once()  # google-genai and its HTTP stack, built
with open(sys.argv[1], "rb") as photo:
    measures = container.inspector().inspect(container.images().normalize_upload(photo.read()))
out = io.BytesIO()
Image.new("RGB", (64, 64), (200, 120, 80)).save(out, "PNG")
chain = create_local_chain()
labelled = C2paContentLabeler(lambda: chain).label(
    ImageData(data=out.getvalue(), content_type="image/png"),
    GeneratedImage(data=out.getvalue(), content_type="image/png", model="probe"),
)
found = C2paContentLabeler(None).read(labelled.data)
assert found is not None and found.intact and found.signed, found
assert callable(process.handler)
print(f"worker ok: {len(measures.faces)} face(s), label {found.source_type.term}")
