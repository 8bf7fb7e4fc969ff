"""The use-case services, built from whatever adapters a runtime container supplies."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, cast

from dependency_injector import containers, providers

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.ports import (
    AddressResolver,
    Clock,
    ConnectionRepository,
    ContentLabeler,
    FaceMatcher,
    IdGenerator,
    ImageGenerator,
    ImageProcessor,
    JobQueue,
    Notifier,
    ObjectStore,
    PauseRecord,
    PhotoInspector,
    Redelivery,
    UnitOfWork,
    WebhookOutbox,
    WebhookSender,
)
from profilephoto.domain.styles import StyleCatalog
from profilephoto.domain.throttle import Throttle
from profilephoto.services.account import AccountDeletionService
from profilephoto.services.admin import AdminService
from profilephoto.services.cancellation import CancellationService
from profilephoto.services.connections import ConnectionService
from profilephoto.services.deletion import DeletionService
from profilephoto.services.generation import GenerationService
from profilephoto.services.processing import ProcessingService
from profilephoto.services.queries import JobDetails, QueryService
from profilephoto.services.reconcile import Reconciler
from profilephoto.services.retention import RetentionSweeper
from profilephoto.services.uploads import UploadService
from profilephoto.services.webhooks import WebhookDelivery


def render_job(details: JobDetails) -> dict[str, Any]:
    """A job as the API shows it (`GET /jobs/{jobId}`'s body): a webhook's `data`."""
    from profilephoto.entrypoints.aws_lambda.views import job_view

    return job_view(details).to_json()


_NONE: providers.Object[None] = providers.Object(None)


class Services(containers.DeclarativeContainer):
    """Every runtime (memory, local, aws) provides these dependencies and gets the services."""

    config: providers.Dependency[ServiceConfig] = providers.Dependency(instance_of=ServiceConfig)
    uow: providers.Dependency[UnitOfWork] = providers.Dependency()
    connections: providers.Dependency[ConnectionRepository] = providers.Dependency()
    uploads: providers.Dependency[ObjectStore] = providers.Dependency()
    results: providers.Dependency[ObjectStore] = providers.Dependency()
    queue: providers.Dependency[JobQueue] = providers.Dependency()
    generator: providers.Dependency[ImageGenerator] = providers.Dependency()
    images: providers.Dependency[ImageProcessor] = providers.Dependency()
    inspector: providers.Dependency[PhotoInspector] = providers.Dependency()
    labeler: providers.Dependency[ContentLabeler] = providers.Dependency()
    matcher: providers.Dependency[FaceMatcher] = providers.Dependency()
    pauses: providers.Dependency[PauseRecord] = providers.Dependency()
    notifier: providers.Dependency[Notifier] = providers.Dependency()
    clock: providers.Dependency[Clock] = providers.Dependency()
    ids: providers.Dependency[IdGenerator] = providers.Dependency()
    # Webhooks: None where they are not configured (AWS without WEBHOOK_QUEUE_URL, a host's
    # own Services): a `webhook` is then refused at /generate, and nothing is delivered.
    webhooks: providers.Dependency[WebhookOutbox | None] = providers.Dependency(default=_NONE)
    webhook_sender: providers.Dependency[WebhookSender | None] = providers.Dependency(default=_NONE)
    resolver: providers.Dependency[AddressResolver | None] = providers.Dependency(default=_NONE)

    styles = providers.Singleton(StyleCatalog)
    # One per container (per Lambda instance): its view of the fleet's pause.
    throttle = providers.Singleton(Throttle, pauses)
    style_list = providers.Callable(lambda catalog: catalog.all(), styles)

    upload_service = providers.Singleton(UploadService, uow, uploads, clock, ids, config)
    generation_service = providers.Singleton(
        GenerationService,
        uow,
        uploads,
        queue,
        styles,
        clock,
        ids,
        config,
        resolver=resolver,
        webhooks=webhooks,
    )
    processing_service = providers.Singleton(
        ProcessingService,
        uow,
        uploads,
        results,
        generator,
        images,
        notifier,
        styles,
        clock,
        config,
        inspector,
        labeler=labeler,
        matcher=matcher,
        throttle=throttle,
        webhooks=webhooks,
    )
    query_service = providers.Singleton(QueryService, uow, results, style_list, clock, config)
    deletion_service = providers.Singleton(DeletionService, uow, uploads, results, clock, config)
    cancellation_service = providers.Singleton(
        CancellationService, uow, results, notifier, clock, config, webhooks=webhooks
    )
    account_service = providers.Singleton(
        AccountDeletionService, uow, uploads, results, connections, cancellation_service, clock
    )
    reconciler = providers.Singleton(
        Reconciler, uow, queue, notifier, clock, config, results, webhooks=webhooks
    )
    webhook_delivery = providers.Singleton(
        WebhookDelivery, webhook_sender, query_service, providers.Object(render_job), clock
    )
    connection_service = providers.Singleton(ConnectionService, connections, clock)

    retention = providers.Singleton(RetentionSweeper, uow, uploads, results, clock, config)
    admin = providers.Singleton(AdminService, uow, clock, config)


_T_co = TypeVar("_T_co", covariant=True)


class Provides(Protocol[_T_co]):
    """A provider whose call gives a `_T_co`."""

    def __call__(self) -> _T_co: ...


class Adapters(Protocol):
    """A runtime's adapter providers, one a port: mypy holds each to its port in `services_over`."""

    @property
    def config(self) -> Provides[ServiceConfig]: ...
    @property
    def uow(self) -> Provides[UnitOfWork]: ...
    @property
    def connections(self) -> Provides[ConnectionRepository]: ...
    @property
    def uploads(self) -> Provides[ObjectStore]: ...
    @property
    def results(self) -> Provides[ObjectStore]: ...
    @property
    def queue(self) -> Provides[JobQueue]: ...
    @property
    def generator(self) -> Provides[ImageGenerator]: ...
    @property
    def images(self) -> Provides[ImageProcessor]: ...
    @property
    def inspector(self) -> Provides[PhotoInspector]: ...
    @property
    def labeler(self) -> Provides[ContentLabeler]: ...
    @property
    def matcher(self) -> Provides[FaceMatcher]: ...
    @property
    def pauses(self) -> Provides[PauseRecord]: ...
    @property
    def notifier(self) -> Provides[Notifier]: ...
    @property
    def clock(self) -> Provides[Clock]: ...
    @property
    def ids(self) -> Provides[IdGenerator]: ...
    @property
    def webhooks(self) -> Provides[WebhookOutbox | None]: ...
    @property
    def webhook_sender(self) -> Provides[WebhookSender | None]: ...
    @property
    def resolver(self) -> Provides[AddressResolver | None]: ...


def services_over(adapters: Adapters) -> providers.Container[Services]:
    """The use cases over a runtime's adapters (its container class), wired port by port."""
    return providers.Container(
        Services,
        config=adapters.config,
        uow=adapters.uow,
        connections=adapters.connections,
        uploads=adapters.uploads,
        results=adapters.results,
        queue=adapters.queue,
        generator=adapters.generator,
        images=adapters.images,
        inspector=adapters.inspector,
        labeler=adapters.labeler,
        matcher=adapters.matcher,
        pauses=adapters.pauses,
        notifier=adapters.notifier,
        clock=adapters.clock,
        ids=adapters.ids,
        webhooks=adapters.webhooks,
        webhook_sender=adapters.webhook_sender,
        resolver=adapters.resolver,
    )


class Application:
    """What a host calls: every use case, typed (as cosmicpython's bootstrap returns its bus).

    Each service is built on its first use, so the API handlers never build the worker's
    model client or image codecs (nor import them).
    """

    def __init__(self, services: Services) -> None:
        self._services = services

    @property
    def uploads(self) -> UploadService:
        return self._services.upload_service()

    @property
    def generation(self) -> GenerationService:
        return self._services.generation_service()

    @property
    def processing(self) -> ProcessingService:
        return self._services.processing_service()

    @property
    def queries(self) -> QueryService:
        return self._services.query_service()

    @property
    def deletion(self) -> DeletionService:
        return self._services.deletion_service()

    @property
    def cancellation(self) -> CancellationService:
        return self._services.cancellation_service()

    @property
    def reconciler(self) -> Reconciler:
        return self._services.reconciler()

    @property
    def account(self) -> AccountDeletionService:
        return self._services.account_service()

    @property
    def retention(self) -> RetentionSweeper:
        return self._services.retention()

    @property
    def connections(self) -> ConnectionService:
        return self._services.connection_service()

    @property
    def webhooks(self) -> WebhookDelivery:
        return self._services.webhook_delivery()

    @property
    def webhook_redelivery(self) -> Redelivery:
        """The webhook delivery's side of the webhooks' own queue."""
        return cast(Redelivery, self._services.webhooks())

    @property
    def redelivery(self) -> Redelivery:
        """The worker's side of the queue the services send to (the same object)."""
        return cast(Redelivery, self._services.queue())


class KeepsConnections(Protocol):
    """A unit of work whose store also holds the WebSocket connections (every runtime's)."""

    @property
    def connections(self) -> ConnectionRepository: ...


def connections_of(uow: KeepsConnections) -> ConnectionRepository:
    """Every adapter keeps its connections in the same store as its unit of work, but no use
    case commits them together with anything: they are a port of their own."""
    return uow.connections
