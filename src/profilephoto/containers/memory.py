"""The all-in-memory runtime: for tests, demos and other hosts' test suites."""

from __future__ import annotations

from dependency_injector import containers, providers

from profilephoto.adapters.memory import (
    FixedClock,
    InMemoryFaceMatcher,
    InMemoryJobQueue,
    InMemoryObjectStore,
    InMemoryPauseRecord,
    InMemoryPhotoInspector,
    InMemoryUnitOfWork,
    InMemoryWebhookOutbox,
    PassthroughImageProcessor,
    RecordingLabeler,
    RecordingNotifier,
    RecordingWebhookSender,
    ScriptedImageGenerator,
    SequentialIds,
    StaticResolver,
)
from profilephoto.containers.core import Application, connections_of, services_over
from profilephoto.domain.config import ServiceConfig


class MemoryAdapters(containers.DeclarativeContainer):
    """The in-memory fakes, one a port (each inspectable, each told to fail)."""

    config = providers.Object(ServiceConfig())
    uow = providers.Singleton(InMemoryUnitOfWork)
    connections = providers.Singleton(connections_of, uow)
    uploads = providers.Singleton(InMemoryObjectStore, "uploads")
    results = providers.Singleton(InMemoryObjectStore, "results")
    queue = providers.Singleton(InMemoryJobQueue)
    generator = providers.Singleton(ScriptedImageGenerator)
    images = providers.Singleton(PassthroughImageProcessor)
    inspector = providers.Singleton(InMemoryPhotoInspector)
    labeler = providers.Singleton(RecordingLabeler)
    matcher = providers.Singleton(InMemoryFaceMatcher)
    pauses = providers.Singleton(InMemoryPauseRecord)
    notifier = providers.Singleton(RecordingNotifier)
    clock = providers.Singleton(FixedClock)
    ids = providers.Singleton(SequentialIds)
    webhooks = providers.Singleton(InMemoryWebhookOutbox)
    resolver = providers.Singleton(StaticResolver)
    webhook_sender = providers.Singleton(RecordingWebhookSender, resolver=resolver)


class MemoryContainer(MemoryAdapters):
    services = services_over(MemoryAdapters)
    application = providers.Singleton(Application, services)
