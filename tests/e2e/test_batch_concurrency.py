"""The records of one SQS batch wait on the model together, not in rounds of a thread pool."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from dependency_injector import providers

from profilephoto.adapters.memory import ScriptedImageGenerator
from profilephoto.domain.models import GeneratedImage, ImageData, JobStatus, Style
from profilephoto.entrypoints.aws_lambda import process
from tests.e2e.lambda_events import CONTEXT
from tests.e2e.test_worker_handlers import batch, queued_message

BATCH = 10


class RendezvousGenerator(ScriptedImageGenerator):
    """Every call waits until `parties` calls are in at once, so it succeeds only when
    that many run concurrently (a smaller pool breaks the barrier: no clock involved)."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=60)

    def generate(
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        self.barrier.wait()
        return super().generate(images, style, aspect_ratio=aspect_ratio, seed=seed)


def test_ten_records_of_one_batch_call_the_model_at_the_same_time(memory_runtime):
    memory_runtime.generator.override(providers.Object(RendezvousGenerator(BATCH)))
    messages = [queued_message(memory_runtime) for _ in range(BATCH)]

    response = process.handler(batch(*messages), CONTEXT)

    assert response == {"batchItemFailures": []}
    jobs = memory_runtime.uow().jobs
    assert {jobs.get(m["jobId"]).status for m in messages} == {JobStatus.COMPLETED}


def test_a_batch_of_one_runs_on_one_thread_and_completes(memory_runtime):
    (message,) = [queued_message(memory_runtime)]
    assert process.handler(batch(message), CONTEXT) == {"batchItemFailures": []}
    assert memory_runtime.uow().jobs.get(message["jobId"]).status is JobStatus.COMPLETED
