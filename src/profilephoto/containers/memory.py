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
from profilephoto.containers.core import Application, Services, connections_of
from profilephoto.domain.config import ServiceConfig


class MemoryContainer(containers.DeclarativeContainer):
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

    services = providers.Container(
        Services,
        config=config,
        uow=uow,
        connections=connections,
        uploads=uploads,
        results=results,
        queue=queue,
        generator=generator,
        images=images,
        inspector=inspector,
        labeler=labeler,
        matcher=matcher,
        pauses=pauses,
        notifier=notifier,
        clock=clock,
        ids=ids,
        webhooks=webhooks,
        webhook_sender=webhook_sender,
        resolver=resolver,
    )
    application = providers.Singleton(Application, services)
