"""The local runtime: SQLite, the filesystem, a durable local queue and a WebSocket hub."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from profilephoto.adapters.system import SystemClock, UuidIds
from profilephoto.containers.core import Application, connections_of, services_over
from profilephoto.containers.generators import (
    content_labeler,
    face_matcher,
    image_generator,
    image_processor,
    photo_inspector,
)
from profilephoto.settings import Settings

if TYPE_CHECKING:  # the adapters are imported when first built, not with the container
    from profilephoto.adapters.local.auth import LocalAuth
    from profilephoto.adapters.local.filesystem import FilesystemObjectStore
    from profilephoto.adapters.local.hub import WebSocketHub
    from profilephoto.adapters.local.sqlite_pauses import SqlitePauseRecord
    from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
    from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
    from profilephoto.adapters.webhooks.http_sender import HttpWebhookSender, SystemResolver

DATABASE = "profilephoto.sqlite3"
# A crashed worker's message must come back only after its processing lease has run out,
# or the redelivery would find the lease still live and be dropped as a duplicate.
LEASE_MARGIN_SECONDS = 5.0
MAX_RECEIVES = 100
# A webhook attempt takes at most 15 s; its message comes back after this if the attempt
# died with the process. More receives than the retry schedule's 11 attempts.
WEBHOOK_VISIBILITY_SECONDS = 60.0
WEBHOOK_MAX_RECEIVES = 20


def _secret(data_dir: Path, name: str) -> bytes:
    from profilephoto.adapters.local.keyfile import load_or_create_secret

    return load_or_create_secret(data_dir, name)


def _auth(data_dir: Path) -> LocalAuth:
    from profilephoto.adapters.local.auth import LocalAuth

    return LocalAuth(_secret(data_dir, "token"))


def _uow(data_dir: Path) -> SqliteUnitOfWork:
    from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork

    return SqliteUnitOfWork(data_dir / DATABASE)


def _store(data_dir: Path, bucket: str, base_url: str, key: bytes) -> FilesystemObjectStore:
    # Each upload URL binds its own signed size, which the upload policy kept under
    # MAX_UPLOAD_BYTES.
    from profilephoto.adapters.local.filesystem import FilesystemObjectStore

    return FilesystemObjectStore(data_dir / "objects", bucket, base_url, key)


def _queue(settings: Settings, data_dir: Path, visibility_timeout: float | None) -> SqliteJobQueue:
    from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue

    if visibility_timeout is None:
        visibility_timeout = settings.processing_lease_seconds + LEASE_MARGIN_SECONDS
    return SqliteJobQueue(
        data_dir / DATABASE,
        visibility_timeout=visibility_timeout,
        # Well above the processing attempts, so the service, not the queue, decides when
        # a job has had enough; deliveries handed back uncalled (model throttled) are
        # receives but not attempts. As template.yaml's maxReceiveCount.
        max_receives=max(MAX_RECEIVES, settings.max_attempts + 1),
    )


def _pauses(data_dir: Path) -> SqlitePauseRecord:
    from profilephoto.adapters.local.sqlite_pauses import SqlitePauseRecord

    return SqlitePauseRecord(data_dir / DATABASE)


def _webhook_queue(data_dir: Path) -> SqliteJobQueue:
    from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
    from profilephoto.domain.webhooks import WebhookEvent

    return SqliteJobQueue(
        data_dir / DATABASE,
        visibility_timeout=WEBHOOK_VISIBILITY_SECONDS,
        max_receives=WEBHOOK_MAX_RECEIVES,
        name="webhook",
        body=WebhookEvent,
    )


def webhook_secret(settings: Settings, data_dir: Path) -> str:
    """WEBHOOK_SECRET, or the one made once in the data directory (as the signing keys are)."""
    if settings.webhook_secret:
        return settings.webhook_secret
    import base64

    from profilephoto.adapters.webhooks.secret import SECRET_PREFIX

    return SECRET_PREFIX + base64.b64encode(_secret(data_dir, "webhook")).decode()


def _resolver() -> SystemResolver:
    from profilephoto.adapters.webhooks.http_sender import SystemResolver

    return SystemResolver()


def _webhook_sender(
    settings: Settings, data_dir: Path, resolver: SystemResolver
) -> HttpWebhookSender:
    from profilephoto.adapters.webhooks.http_sender import HttpWebhookSender

    return HttpWebhookSender(
        lambda: webhook_secret(settings, data_dir),
        resolver,
        allow_private=settings.webhook_allow_private == "on",
    )


def _hub() -> WebSocketHub:
    from profilephoto.adapters.local.hub import WebSocketHub

    return WebSocketHub()


class LocalAdapters(containers.DeclarativeContainer):
    """SQLite, files under the data directory, the local queues and the WebSocket hub."""

    settings = providers.Dependency(instance_of=Settings)
    data_dir = providers.Dependency(instance_of=Path)
    base_url = providers.Dependency(instance_of=str)
    visibility_timeout: providers.Object[float | None] = providers.Object(None)

    config = providers.Singleton(lambda s: s.service_config(), settings)
    signing_key = providers.Singleton(_secret, data_dir, "url-signing")
    auth = providers.Singleton(_auth, data_dir)

    uow = providers.Singleton(_uow, data_dir)
    connections = providers.Singleton(connections_of, uow)
    uploads = providers.Singleton(
        _store, data_dir, settings.provided.upload_bucket, base_url, signing_key
    )
    results = providers.Singleton(
        _store, data_dir, settings.provided.result_bucket, base_url, signing_key
    )
    queue = providers.Singleton(_queue, settings, data_dir, visibility_timeout)
    generator = providers.Singleton(image_generator, settings)
    images = providers.Singleton(image_processor, settings)
    inspector = providers.Singleton(photo_inspector, settings)
    labeler = providers.Singleton(content_labeler, settings, data_dir)
    matcher = providers.Singleton(face_matcher, settings)
    pauses = providers.Singleton(_pauses, data_dir)
    hub = providers.Singleton(_hub)
    notifier = hub
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidIds)
    webhooks = providers.Singleton(_webhook_queue, data_dir)
    resolver = providers.Singleton(_resolver)
    webhook_sender = providers.Singleton(_webhook_sender, settings, data_dir, resolver)


class LocalContainer(LocalAdapters):
    services = services_over(LocalAdapters)
    application = providers.Singleton(Application, services)


def build_local_container(
    settings: Settings,
    data_dir: Path | str,
    base_url: str = "http://127.0.0.1:8000",
    visibility_timeout: float | None = None,
) -> LocalContainer:
    """The local runtime over `data_dir`; object URLs point at `base_url`.

    Bucket names default to `uploads` and `results` (UPLOAD_BUCKET/RESULT_BUCKET rename them).
    """
    named = settings.model_copy(
        update={
            "upload_bucket": settings.upload_bucket or "uploads",
            "result_bucket": settings.result_bucket or "results",
        }
    )
    container = LocalContainer(
        settings=named, data_dir=Path(data_dir).resolve(), base_url=base_url.rstrip("/")
    )
    container.visibility_timeout.override(visibility_timeout)
    return container
