"""A batch of 10 SQS records against one: wall time with a 1 s model, and decoding memory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from dependency_injector import providers
from PIL import Image

from profilephoto.adapters.decode_budget import MB, DecodeBudget, budget_bytes
from profilephoto.adapters.image_limits import decode_cost
from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.adapters.memory import ScriptedImageGenerator
from profilephoto.containers.memory import MemoryContainer
from profilephoto.domain.commands import GenerationRequest, UploadRequest
from profilephoto.domain.models import GeneratedImage, Identity, ImageData, Style
from profilephoto.entrypoints.aws_lambda import process, runtime
from profilephoto.settings import load_settings
from tests.e2e.lambda_events import CONTEXT
from tests.integration.decode_probe import peak, reset_peak
from tests.integration.image_bytes import zero_png

ROOT = Path(__file__).resolve().parent.parent
BATCH, MODEL_SECONDS, TARGET_RATIO = 10, 1.0, 1.5
FUNCTION_MEMORY_MB = 1024  # ProcessFunction's MemorySize in template.yaml
BOMB = (6000, 4000)  # a 24 MP all-black PNG: 70 KB to upload, ~100 MB to decode
PHOTO = (640, 480)
# Small, so the figure is about waiting on the model together, not about PNG encoding
# (CPU work that two loaded cores serialise whatever the threads).
ANSWER = zero_png(256, 256)


class OneSecondModel(ScriptedImageGenerator):
    """The scripted fake, taking as long as a quick real model call, answering a real PNG."""

    def generate(
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        time.sleep(MODEL_SECONDS)
        made = super().generate(images, style, aspect_ratio=aspect_ratio, seed=seed)
        return made.model_copy(update={"data": ANSWER})


def run_batch(records: int, photo: bytes, images: PillowImageProcessor) -> float:
    """Seconds process.handler takes for `records` queued jobs of `photo` (memory runtime)."""
    container = MemoryContainer()
    container.generator.override(providers.Object(OneSecondModel()))
    container.images.override(providers.Object(images))
    runtime.install(container, load_settings(DAILY_LIMIT=records, QUALITY_CHECK="off"))
    try:
        event = {"Records": [_record(container, photo, n) for n in range(records)]}
        started = time.perf_counter()
        response = process.handler(event, CONTEXT)
        elapsed = time.perf_counter() - started
    finally:
        runtime.install(None)
    if response != {"batchItemFailures": []}:
        raise RuntimeError(f"the batch did not complete: {response}")
    return elapsed


def _record(container: MemoryContainer, photo: bytes, n: int) -> dict[str, object]:
    me = Identity(user_id="bench-user")
    services = container.services
    ticket = services.upload_service().request_upload(
        me, UploadRequest(file_name="me.png", content_type="image/png", file_size=len(photo))
    )
    container.uploads().write(ticket.file_key, photo, "image/png")
    services.generation_service().request_generation(
        me, GenerationRequest(ticket.file_key, "professional")
    )
    (message,) = container.queue().drain()
    return {
        "messageId": f"bench-{n}",
        "receiptHandle": f"bench-{n}",
        "body": json.dumps(message.to_json_dict()),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


def memory_probe() -> None:
    """In a fresh process: a batch of 10 bombs under the budget of a 1,024 MB worker."""
    budget = DecodeBudget(budget_bytes(FUNCTION_MEMORY_MB))
    photo = zero_png(*BOMB)
    baseline = reset_peak()
    seconds = run_batch(BATCH, photo, PillowImageProcessor(budget=budget))
    print(json.dumps({"peak": peak() - baseline, "reserved": budget.peak, "seconds": seconds}))


def main() -> None:
    photo = zero_png(*PHOTO)
    one = run_batch(1, photo, PillowImageProcessor())
    ten = run_batch(BATCH, photo, PillowImageProcessor())
    ratio = ten / one
    verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
    print(f"{'SQS batch, model call 1 s':<34}{'records':>8}{'seconds':>9}{'vs one':>8}")
    print(f"{'one record':<34}{1:>8}{one:>9.2f}{1:>7.2f}x")
    print(f"{'one batch':<34}{BATCH:>8}{ten:>9.2f}{ratio:>7.2f}x")
    print(
        f"batch of {BATCH} in {ratio:.2f}x the time of one (target <= {TARGET_RATIO}x): {verdict}"
    )

    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.batch", "--memory"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    bombs = json.loads(done.stdout.strip().splitlines()[-1])
    bomb = zero_png(*BOMB)
    with Image.open(io.BytesIO(bomb)) as header:
        each = decode_cost(header, header.size, working_copies=1)
    budget = budget_bytes(FUNCTION_MEMORY_MB)
    width, height = BOMB
    print()
    print(f"{BATCH} records of a {width}x{height} black PNG ({len(bomb) // 1024} KB each)")
    rows = [
        (f"decode budget of a {FUNCTION_MEMORY_MB:,} MB worker", budget),
        ("all decodes at once would need", BATCH * each),
        ("most reserved at once", bombs["reserved"]),
        ("worker's peak memory growth", bombs["peak"]),
    ]
    for label, value in rows:
        print(f"{label:<40}{value / MB:>8,.0f} MB")
    held = "ok" if bombs["peak"] <= budget else "MISSED"
    print(f"batch took {bombs['seconds']:.2f} s; peak within the budget: {held}")


if __name__ == "__main__" and sys.argv[1:] == ["--memory"]:
    memory_probe()
