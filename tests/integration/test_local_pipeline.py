"""The domain services over every local adapter: upload, generate, worker, hub, download."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from profilephoto.adapters.local.filesystem import FilesystemObjectStore
from profilephoto.adapters.local.hub import WebSocketHub
from profilephoto.adapters.local.sqlite_pauses import SqlitePauseRecord
from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
from profilephoto.adapters.local.worker import QueueWorker
from profilephoto.adapters.memory import (
    InMemoryFaceMatcher,
    InMemoryPhotoInspector,
    PassthroughImageProcessor,
    RecordingLabeler,
    ScriptedImageGenerator,
)
from profilephoto.adapters.system import SystemClock, UuidIds
from profilephoto.containers.core import Services
from profilephoto.domain.commands import GenerationRequest, UploadRequest
from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import RetryLater, TransientGenerationError
from profilephoto.domain.models import Identity, JobMessage, JobStatus

ALICE = Identity(user_id="alice", email="alice@example.com")
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256))
BASE = "http://127.0.0.1:8000"


class Local:
    def __init__(self, root: Path, generator: ScriptedImageGenerator) -> None:
        key = b"p" * 32
        self.uow = SqliteUnitOfWork(root / "profilephoto.sqlite3")
        self.queue = SqliteJobQueue(root / "profilephoto.sqlite3", visibility_timeout=30)
        self.uploads = FilesystemObjectStore(root / "objects", "uploads", BASE, key)
        self.results = FilesystemObjectStore(root / "objects", "results", BASE, key)
        self.hub = WebSocketHub()
        self.services = Services(
            config=ServiceConfig(),
            uow=self.uow,
            connections=self.uow.connections,
            uploads=self.uploads,
            results=self.results,
            queue=self.queue,
            generator=generator,
            images=PassthroughImageProcessor(),
            inspector=InMemoryPhotoInspector(),
            labeler=RecordingLabeler(),
            matcher=InMemoryFaceMatcher(),
            pauses=SqlitePauseRecord(root / "profilephoto.sqlite3"),
            notifier=self.hub,
            clock=SystemClock(),
            ids=UuidIds(),
        )

    def handle_batch(self, event: dict[str, Any]) -> dict[str, Any]:
        """What the SQS process handler does with a batch, in a few lines."""
        failures = []
        for record in event["Records"]:
            message = JobMessage.model_validate_json(record["body"])
            try:
                self.services.processing_service().process(message)
            except RetryLater:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    def upload(self) -> str:
        ticket = self.services.upload_service().request_upload(
            ALICE, UploadRequest(file_name="me.jpg", content_type="image/jpeg", file_size=len(JPEG))
        )
        bucket, key, query = _target(ticket.upload_url)
        assert bucket == "uploads"
        self.uploads.accept_upload(key, query, ticket.headers["Content-Type"], JPEG)
        return ticket.file_key

    def close(self) -> None:
        self.uow.close()
        self.queue.close()


def _target(url: str) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(url)
    _, _, bucket, key = parts.path.split("/", 3)
    return unquote(bucket), unquote(key), dict(parse_qsl(parts.query))


def _wait_for(predicate: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("script", [[], [TransientGenerationError()]], ids=["first", "retried"])
def test_a_job_goes_from_upload_to_a_pushed_downloadable_result(tmp_path, script):
    local = Local(tmp_path, ScriptedImageGenerator(list(script)))
    pushed: list[dict[str, Any]] = []
    local.hub.register("alice", "c1", lambda text: pushed.append(json.loads(text)))
    accepted = local.services.generation_service().request_generation(
        ALICE, GenerationRequest(local.upload(), "professional")
    )
    assert (accepted.status, accepted.remaining_quota) == (JobStatus.QUEUED, 9)
    worker = QueueWorker(local.queue, local.handle_batch, poll_interval=0.01, retry_delay=0)
    worker.start()
    try:
        _wait_for(lambda: any(p["status"] == "completed" for p in pushed))
    finally:
        worker.stop()
    # The first claim is pushed once, a retry's claim not again (docs/api.md §4).
    assert [p["status"] for p in pushed] == ["processing", "completed"]
    done = pushed[-1]
    assert (done["jobId"], done["status"]) == (accepted.job_id, "completed")
    bucket, key, query = _target(done["resultUrl"])
    data, content_type = local.results.serve_download(key, query)
    assert bucket == "results" and content_type == "image/png" and data.startswith(b"\x89PNG")
    job = local.uow.jobs.get(accepted.job_id)
    assert (job.status, job.attempts) == (JobStatus.COMPLETED, len(script) + 1)
    assert local.uow.users.get("alice").total_images_generated == 1
    assert local.queue.depth() == 0
    local.close()
