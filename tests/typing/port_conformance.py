"""Every adapter assigned to the port it plays: mypy (in `make lint`) fails here when an
adapter drifts from its port (a renamed method, a changed signature, a missing member)."""

from __future__ import annotations

from profilephoto.adapters.aws.dynamodb import DynamoDbUnitOfWork
from profilephoto.adapters.aws.dynamodb_pauses import DynamoDbPauseRecord
from profilephoto.adapters.aws.s3 import S3ObjectStore
from profilephoto.adapters.aws.sqs import SqsJobQueue
from profilephoto.adapters.aws.websocket import ApiGatewayNotifier
from profilephoto.adapters.gemini import GeminiImageGenerator
from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.adapters.likeness.onnx import OnnxFaceMatcher
from profilephoto.adapters.local.filesystem import FilesystemObjectStore
from profilephoto.adapters.local.hub import WebSocketHub
from profilephoto.adapters.local.offline_stylizer import OfflineStylizer
from profilephoto.adapters.local.sqlite_pauses import SqlitePauseRecord
from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
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
    RecordingNotifier,
    RecordingWebhookSender,
    ScriptedImageGenerator,
    StaticResolver,
)
from profilephoto.adapters.memory.basics import SequentialIds
from profilephoto.adapters.photo_check.litert import LiteRtPhotoInspector
from profilephoto.adapters.system import (
    SilentNotifier,
    SystemClock,
    UncheckedPhotos,
    UnmatchedFaces,
    UuidIds,
)
from profilephoto.adapters.webhooks.http_sender import HttpWebhookSender, SystemResolver
from profilephoto.domain.ports import (
    AddressResolver,
    Clock,
    ConnectionRepository,
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


def units_of_work(
    dynamodb: DynamoDbUnitOfWork, sqlite: SqliteUnitOfWork, memory: InMemoryUnitOfWork
) -> list[UnitOfWork]:
    return [dynamodb, sqlite, memory]


def connection_repositories(
    dynamodb: DynamoDbUnitOfWork, sqlite: SqliteUnitOfWork, memory: InMemoryUnitOfWork
) -> list[ConnectionRepository]:
    return [dynamodb.connections, sqlite.connections, memory.connections]


def object_stores(
    s3: S3ObjectStore, files: FilesystemObjectStore, memory: InMemoryObjectStore
) -> list[ObjectStore]:
    return [s3, files, memory]


def job_queues(
    sqs: SqsJobQueue, sqlite: SqliteJobQueue, memory: InMemoryJobQueue
) -> list[JobQueue]:
    return [sqs, sqlite, memory]


def pause_records(
    dynamodb: DynamoDbPauseRecord, sqlite: SqlitePauseRecord, memory: InMemoryPauseRecord
) -> list[PauseRecord]:
    return [dynamodb, sqlite, memory]


def redeliveries(sqs: SqsJobQueue, sqlite: SqliteJobQueue) -> list[Redelivery]:
    return [sqs, sqlite]


def image_generators(
    gemini: GeminiImageGenerator, offline: OfflineStylizer, scripted: ScriptedImageGenerator
) -> list[ImageGenerator]:
    return [gemini, offline, scripted]


def image_processors(
    pillow: PillowImageProcessor, passthrough: PassthroughImageProcessor
) -> list[ImageProcessor]:
    return [pillow, passthrough]


def photo_inspectors(
    litert: LiteRtPhotoInspector, unchecked: UncheckedPhotos, memory: InMemoryPhotoInspector
) -> list[PhotoInspector]:
    return [litert, unchecked, memory]


def face_matchers(
    onnx: OnnxFaceMatcher, unmatched: UnmatchedFaces, memory: InMemoryFaceMatcher
) -> list[FaceMatcher]:
    return [onnx, unmatched, memory]


def notifiers(
    api_gateway: ApiGatewayNotifier,
    hub: WebSocketHub,
    silent: SilentNotifier,
    recording: RecordingNotifier,
) -> list[Notifier]:
    return [api_gateway, hub, silent, recording]


def clocks(system: SystemClock, fixed: FixedClock) -> list[Clock]:
    return [system, fixed]


def id_generators(uuid: UuidIds, sequential: SequentialIds) -> list[IdGenerator]:
    return [uuid, sequential]


def webhook_outboxes(
    sqs: SqsJobQueue, sqlite: SqliteJobQueue, memory: InMemoryWebhookOutbox
) -> list[WebhookOutbox]:
    return [sqs, sqlite, memory]


def webhook_senders(
    http: HttpWebhookSender, recording: RecordingWebhookSender
) -> list[WebhookSender]:
    return [http, recording]


def address_resolvers(system: SystemResolver, static: StaticResolver) -> list[AddressResolver]:
    return [system, static]
