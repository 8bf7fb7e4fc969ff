"""The AWS runtime: S3, SQS, DynamoDB and the WebSocket management API, built once, lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from profilephoto.adapters.system import SilentNotifier, SystemClock, UuidIds
from profilephoto.containers.core import Application, connections_of, services_over
from profilephoto.containers.generators import (
    content_labeler,
    face_matcher,
    image_generator,
    image_processor,
    photo_inspector,
)
from profilephoto.domain.ports import ConnectionRepository, Notifier
from profilephoto.services.admin import AdminService
from profilephoto.settings import ConfigurationError, Settings

if TYPE_CHECKING:  # the adapters are imported when first built, not with the container
    from profilephoto.adapters.aws.dynamodb import DynamoDbUnitOfWork
    from profilephoto.adapters.aws.dynamodb_pauses import DynamoDbPauseRecord
    from profilephoto.adapters.aws.s3 import S3ObjectStore
    from profilephoto.adapters.aws.sqs import SqsJobQueue
    from profilephoto.adapters.webhooks.http_sender import HttpWebhookSender, SystemResolver


def _client(service: str, **options: Any) -> Any:
    """A boto3 client; AWS_ENDPOINT_URL and the region come from boto3's own configuration."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 3, "mode": "standard"}, **options)
    return boto3.client(service, config=config)  # type: ignore[call-overload]


def _s3(settings: Settings, bucket: str) -> S3ObjectStore:
    from profilephoto.adapters.aws.s3 import S3ObjectStore

    client = _client("s3", signature_version="s3v4")
    return S3ObjectStore(client, bucket)


def _queue(settings: Settings) -> SqsJobQueue:
    from profilephoto.adapters.aws.sqs import SqsJobQueue

    return SqsJobQueue(_client("sqs"), settings.sqs_queue_url or "")


def _webhook_queue(settings: Settings) -> SqsJobQueue | None:
    """The webhooks' own queue; None (webhooks refused at /generate) without WEBHOOK_QUEUE_URL."""
    if not settings.webhook_queue_url:
        return None
    from profilephoto.adapters.aws.sqs import SqsJobQueue

    return SqsJobQueue(_client("sqs"), settings.webhook_queue_url)


def _resolver() -> SystemResolver:
    from profilephoto.adapters.webhooks.http_sender import SystemResolver

    return SystemResolver()


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, else the Secrets Manager secret WEBHOOK_SECRET_ARN (read once)."""
    if settings.webhook_secret:
        return settings.webhook_secret
    if not settings.webhook_secret_arn:
        raise ConfigurationError("webhooks need WEBHOOK_SECRET or WEBHOOK_SECRET_ARN")
    from profilephoto.adapters.aws.webhook_secret import secret_value

    return secret_value(_client("secretsmanager"), settings.webhook_secret_arn)


def _webhook_sender(settings: Settings, resolver: SystemResolver) -> HttpWebhookSender:
    from profilephoto.adapters.webhooks.http_sender import HttpWebhookSender

    return HttpWebhookSender(
        lambda: webhook_secret(settings),
        resolver,
        allow_private=settings.webhook_allow_private == "on",
    )


def _uow(settings: Settings) -> DynamoDbUnitOfWork:
    from profilephoto.adapters.aws.dynamodb import DynamoDbUnitOfWork

    return DynamoDbUnitOfWork(
        _client("dynamodb"),
        users_table=settings.users_table,
        usage_table=settings.usage_table,
        jobs_table=settings.jobs_table,
        connections_table=settings.connections_table,
        user_cache_seconds=settings.user_cache_seconds,
    )


def _pauses(settings: Settings) -> DynamoDbPauseRecord:
    from profilephoto.adapters.aws.dynamodb_pauses import DynamoDbPauseRecord

    return DynamoDbPauseRecord(_client("dynamodb"), settings.jobs_table)


def _notifier(settings: Settings, connections: ConnectionRepository) -> Notifier:
    if not settings.websocket_endpoint:
        return SilentNotifier()
    import boto3

    from profilephoto.adapters.aws.websocket import ApiGatewayNotifier

    client = boto3.client("apigatewaymanagementapi", endpoint_url=settings.websocket_endpoint)
    return ApiGatewayNotifier(client, connections)


class AwsAdapters(containers.DeclarativeContainer):
    """S3, SQS, DynamoDB and the WebSocket management API, each client built once, lazily."""

    settings = providers.Dependency(instance_of=Settings)
    config = providers.Singleton(lambda s: s.service_config(), settings)

    uow = providers.Singleton(_uow, settings)
    connections = providers.Singleton(connections_of, uow)
    uploads = providers.Singleton(_s3, settings, settings.provided.upload_bucket)
    results = providers.Singleton(_s3, settings, settings.provided.result_bucket)
    queue = providers.Singleton(_queue, settings)
    generator = providers.Singleton(image_generator, settings)
    images = providers.Singleton(image_processor, settings)
    inspector = providers.Singleton(photo_inspector, settings)
    labeler = providers.Singleton(content_labeler, settings, None)
    matcher = providers.Singleton(face_matcher, settings)
    pauses = providers.Singleton(_pauses, settings)
    notifier = providers.Singleton(_notifier, settings, connections)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidIds)
    webhooks = providers.Singleton(_webhook_queue, settings)
    resolver = providers.Singleton(_resolver)
    webhook_sender = providers.Singleton(_webhook_sender, settings, resolver)


class AwsContainer(AwsAdapters):
    services = services_over(AwsAdapters)
    application = providers.Singleton(Application, services)


def build_aws_container(settings: Settings) -> AwsContainer:
    settings.require("upload_bucket", "result_bucket", "sqs_queue_url")
    return AwsContainer(settings=settings)


def build_admin_service(settings: Settings) -> AdminService:
    """The operator's commands on the deployed tables: no bucket, queue or model needed."""
    return AdminService(_uow(settings), SystemClock(), settings.service_config())
