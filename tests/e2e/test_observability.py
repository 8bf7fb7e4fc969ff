"""Invocations that share a process (the local server's worker threads, a host, a batch's
record threads) keep their log keys and their metrics apart: each log line names its own
function and request, each EMF document holds only its own invocation's metrics."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from profilephoto.adapters.memory import ScriptedImageGenerator
from profilephoto.domain.commands import GenerationRequest, UploadRequest
from profilephoto.domain.models import Identity, ImageData, Style
from profilephoto.entrypoints.aws_lambda import api, process
from profilephoto.entrypoints.aws_lambda.observability import logger, metrics
from tests.e2e.lambda_events import FakeLambdaContext, rest
from tests.e2e.test_worker_handlers import batch

ME = Identity(user_id="7d8ca528-4931-4254-9273-ea5ee853f271")
WORKERS = ("a", "b")


def context(name: str) -> FakeLambdaContext:
    return FakeLambdaContext(
        function_name=f"profilephoto-{name}",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:profilephoto-{name}",
        aws_request_id=f"request-{name}",
    )


class Lines(logging.Handler):
    """Every record of the package's loggers, as the handlers' formatter writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logger.registered_formatter)
        self.lines: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = json.loads(self.format(record))
        with self._lock:
            self.lines.append(line)


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    package = logging.getLogger("profilephoto")
    package.addHandler(handler)
    yield handler
    package.removeHandler(handler)


def emf_documents(printed: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    return [document for document in found if "_aws" in document]


def metric_names(document: dict[str, Any]) -> set[str]:
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    return {metric["Name"] for metric in directive["Metrics"]}


class MeetInTheModelCall(ScriptedImageGenerator):
    """Each worker's model call adds a metric of its own, then waits until the other worker
    is in its model call too, then logs: both invocations are running at once."""

    def __init__(self) -> None:
        super().__init__()
        self.met = threading.Barrier(len(WORKERS), timeout=30)

    def generate(self, images: Sequence[ImageData], style: Style, **options: Any) -> Any:
        worker = images[0].data[-1:].decode()
        metrics.add_metric(name=f"Worker{worker.upper()}Called", unit="Count", value=1)
        self.met.wait()
        logging.getLogger("profilephoto.model").info("model called", extra={"worker": worker})
        return super().generate(images, style, **options)


def queued(container: Any, worker: str) -> dict[str, Any]:
    """A job whose photo ends in the worker's letter, queued, as its SQS message."""
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 512 + worker.encode()
    ticket = container.services.upload_service().request_upload(
        ME, UploadRequest(file_name="me.jpg", content_type="image/jpeg", file_size=len(photo))
    )
    container.uploads().write(ticket.file_key, photo, "image/jpeg")
    request = GenerationRequest(ticket.file_key, "professional")
    container.services.generation_service().request_generation(ME, request)
    (message,) = container.queue().drain()
    return message.to_json_dict()


def run_concurrently(container: Any) -> dict[str, str]:
    """Two worker invocations at once, each in its own thread; their job ids by worker."""
    messages = {worker: queued(container, worker) for worker in WORKERS}
    answers: dict[str, Any] = {}

    def invoke(worker: str) -> None:
        try:
            answers[worker] = process.handler(batch(messages[worker]), context(worker))
        except BaseException as error:  # reported below, in the test's own thread
            answers[worker] = error

    threads = [threading.Thread(target=invoke, args=(worker,)) for worker in WORKERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == {worker: {"batchItemFailures": []} for worker in WORKERS}
    return {messages[worker]["jobId"]: worker for worker in WORKERS}


@pytest.fixture
def meeting(memory_runtime):
    generator = MeetInTheModelCall()
    memory_runtime.generator.override(generator)
    yield memory_runtime
    memory_runtime.generator.reset_override()


def test_each_concurrent_invocation_logs_its_own_function_and_request_id(meeting, lines):
    workers_by_job = run_concurrently(meeting)
    tagged = []
    for line in lines.lines:
        worker = line.get("worker") or workers_by_job.get(line.get("jobId", ""))
        if worker is not None:
            tagged.append((worker, line["function_name"], line["function_request_id"]))
    assert {worker for worker, _, _ in tagged} == set(WORKERS)
    for worker, function_name, request_id in tagged:
        assert (function_name, request_id) == (f"profilephoto-{worker}", f"request-{worker}")


def test_each_concurrent_invocation_flushes_only_its_own_metrics(meeting, capsys):
    run_concurrently(meeting)
    documents = emf_documents(capsys.readouterr().out)
    flushed = [metric_names(d) for d in documents if "ImagesGenerated" in metric_names(d)]
    # One document per invocation, each with its worker's metric and none of the other's.
    assert sorted(sorted(n for n in names if n.startswith("Worker")) for names in flushed) == [
        ["WorkerACalled"],
        ["WorkerBCalled"],
    ]


def test_a_record_that_fails_is_logged_with_its_job_and_the_invocations_request(
    memory_runtime, lines
):
    message = queued(memory_runtime, "a")
    memory_runtime.uow().fail_next(RuntimeError("the table is unreachable"), operation="claim")
    answer = process.handler(batch(message), context("a"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}  # retried
    (failed,) = [line for line in lines.lines if line["level"] == "ERROR"]
    assert failed["jobId"] == message["jobId"]
    assert failed["function_request_id"] == "request-a"
    assert "the table is unreachable" in failed["exception"]


def test_the_apis_lines_name_its_invocation_and_its_caller(memory_runtime, lines):
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 512
    ticket = memory_runtime.services.upload_service().request_upload(
        ME, UploadRequest(file_name="me.jpg", content_type="image/jpeg", file_size=len(photo))
    )
    memory_runtime.uploads().write(ticket.file_key, photo, "image/jpeg")
    body = {"fileKey": ticket.file_key, "style": "professional"}
    answer = api.handler(rest("generate", body=body, sub=ME.user_id), context("api"))
    assert answer["statusCode"] == 202
    (accepted,) = [line for line in lines.lines if line["message"] == "generation accepted"]
    assert (accepted["function_name"], accepted["function_request_id"]) == (
        "profilephoto-api",
        "request-api",
    )
    assert accepted["userId"] == ME.user_id
