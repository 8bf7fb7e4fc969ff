"""Fixtures shared by every test layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from profilephoto.adapters.memory import (
    FixedClock,
    InMemoryJobQueue,
    InMemoryObjectStore,
    InMemoryPauseRecord,
    InMemoryPhotoInspector,
    InMemoryUnitOfWork,
    PassthroughImageProcessor,
    RecordingLabeler,
    RecordingNotifier,
    ScriptedImageGenerator,
)
from profilephoto.containers.memory import MemoryContainer
from profilephoto.domain.commands import GenerationRequest, UploadRequest
from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.models import GenerationAccepted, Identity
from profilephoto.entrypoints.aws_lambda.views import job_page_view, job_view
from profilephoto.services.deletion import DeletionService
from profilephoto.services.generation import GenerationService
from profilephoto.services.processing import Outcome, ProcessingService
from profilephoto.services.queries import QueryService
from profilephoto.services.reconcile import Reconciler
from profilephoto.services.uploads import UploadService

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
ALICE = Identity(user_id="alice", email="alice@example.com", display_name="Alice")
BOB = Identity(user_id="bob")


@dataclass
class World:
    """The services over memory fakes, with the fakes at hand for inspection."""

    container: MemoryContainer
    config: ServiceConfig

    @property
    def uow(self) -> InMemoryUnitOfWork:
        return self.container.uow()

    @property
    def uploads(self) -> InMemoryObjectStore:
        return self.container.uploads()

    @property
    def results(self) -> InMemoryObjectStore:
        return self.container.results()

    @property
    def queue(self) -> InMemoryJobQueue:
        return self.container.queue()

    @property
    def generator(self) -> ScriptedImageGenerator:
        return self.container.generator()

    @property
    def images(self) -> PassthroughImageProcessor:
        return self.container.images()

    @property
    def inspector(self) -> InMemoryPhotoInspector:
        return self.container.inspector()

    @property
    def labeler(self) -> RecordingLabeler:
        return self.container.labeler()

    @property
    def pauses(self) -> InMemoryPauseRecord:
        return self.container.pauses()

    @property
    def notifier(self) -> RecordingNotifier:
        return self.container.notifier()

    @property
    def clock(self) -> FixedClock:
        return self.container.clock()

    @property
    def upload_service(self) -> UploadService:
        return self.container.services.upload_service()

    @property
    def generation(self) -> GenerationService:
        return self.container.services.generation_service()

    @property
    def processing(self) -> ProcessingService:
        return self.container.services.processing_service()

    @property
    def queries(self) -> QueryService:
        return self.container.services.query_service()

    @property
    def deletion(self) -> DeletionService:
        return self.container.services.deletion_service()

    @property
    def reconciler(self) -> Reconciler:
        return self.container.services.reconciler()

    def job_json(self, who: Identity, job_id: object) -> dict[str, Any]:
        """The caller's job as `GET /jobs/{jobId}` shows it."""
        return job_view(self.queries.get_job(who, job_id)).to_json()

    def jobs_json(self, who: Identity, limit: object, cursor: object) -> dict[str, Any]:
        """The caller's jobs as `GET /jobs` shows them."""
        return job_page_view(self.queries.list_jobs(who, limit, cursor)).to_json()

    def upload(self, who: Identity = ALICE, data: bytes = JPEG) -> str:
        """Presign and 'PUT' a photo; returns its key."""
        ticket = self.upload_service.request_upload(
            who, UploadRequest(file_name="me.jpg", content_type="image/jpeg", file_size=len(data))
        )
        self.uploads.write(ticket.file_key, data, "image/jpeg")
        return ticket.file_key

    def generate(
        self, who: Identity = ALICE, style: str = "professional", **kwargs: object
    ) -> GenerationAccepted:
        return self.generation.request_generation(
            who, GenerationRequest(self.upload(who), style, **kwargs)
        )

    def process_all(self) -> list[Outcome]:
        return [self.processing.process(m).outcome for m in self.queue.drain()]


def make_world(**config: object) -> World:
    container = MemoryContainer()
    service_config = ServiceConfig(**config)  # type: ignore[arg-type]
    container.config.override(service_config)
    return World(container, service_config)


@pytest.fixture
def world() -> World:
    return make_world()
