"""Domain models and the value types the ports exchange."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from pydantic.alias_generators import to_camel

from profilephoto.domain.labels import DigitalSourceType


def iso_z(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, so timestamps sort as strings (docs/api.md §4.1)."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def parse_iso(text: str) -> datetime:
    """Inverse of `iso_z` (accepts any ISO-8601 form Python reads)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class Model(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, immutable values."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="ignore",
        defer_build=True,
    )

    @field_serializer("*", when_used="json")
    def _timestamps(self, value: Any) -> Any:
        return iso_z(value) if isinstance(value, datetime) else value

    def to_json_dict(self) -> dict[str, Any]:
        """The camelCase, JSON-safe form, without unset optional fields."""
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


class JobStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


# The one list of states a job never leaves; retention sweeps exactly these.
TERMINAL_STATUSES: tuple[JobStatus, ...] = (
    JobStatus.COMPLETED,
    JobStatus.FAILED,
    JobStatus.CANCELED,
)


class Identity(Model):
    """The authenticated caller, from the authorizer's claims; never from the body."""

    user_id: str
    email: str | None = None
    display_name: str | None = None
    provider: str | None = None


class User(Model):
    user_id: str
    email: str | None = None
    provider: str | None = None
    display_name: str | None = None
    profile_image: str | None = None
    total_images_generated: int = 0
    daily_limit: int | None = None
    created_at: datetime
    last_login_at: datetime
    deleting_until: datetime | None = Field(
        default=None,
        description="DELETE /me is removing the account until then: no job may start under it",
    )

    def is_being_deleted(self, now: datetime) -> bool:
        """Whether DELETE /me holds the account at `now` (its mark lapses on its own, so an
        interrupted deletion does not lock the account for good)."""
        return self.deleting_until is not None and self.deleting_until > now


class JobError(Model):
    code: str
    message: str
    # Set when the photo check turned a photo away (docs/api.md, "Photo check").
    reason: str | None = None
    photo_index: int | None = None


# The ends a webhook may be told of (docs/api.md, "Webhooks"); all three unless it chose.
WEBHOOK_EVENTS = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)


class Webhook(Model):
    """Where a job's ends are POSTed, and which of them (domain/webhooks.py has the rules)."""

    url: str
    events: tuple[JobStatus, ...] = WEBHOOK_EVENTS


class Job(Model):
    job_id: str
    user_id: str
    status: JobStatus
    style: str
    input_image_url: str
    output_image_url: str | None = None
    prompt: str
    error: JobError | None = None
    processing_time: int | None = Field(default=None, description="milliseconds")
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    quota_date: str = Field(description="the quota day (YYYY-MM-DD) this job was charged to")
    count: int = Field(default=1, description="images asked for; units reserved")
    aspect_ratio: str = "1:1"
    # Further photos of the same person after the main one (`input_image_url`).
    reference_image_urls: list[str] = Field(default_factory=list)
    # Every image produced, in order; `output_image_url` is the first of them.
    output_image_urls: list[str] = Field(default_factory=list)
    capacity_date: str | None = Field(
        default=None,
        description="the UTC day (YYYY-MM-DD) this job was counted under GLOBAL_DAILY_LIMIT",
    )
    attempts: int = 0
    lease_expires_at: datetime | None = None
    idempotency_key: str | None = Field(
        default=None,
        description="the `userId#Idempotency-Key` record that answers for this job, if any",
    )
    webhook: Webhook | None = None
    ttl: int | None = Field(
        default=None,
        description="epoch seconds after which the job and its results are deleted "
        "(RESULT_RETENTION_DAYS); DynamoDB's TTL attribute on ImageJobs",
    )

    @property
    def photo_urls(self) -> list[str]:
        """Every photo of the job, the main one first."""
        return [self.input_image_url, *self.reference_image_urls]

    @property
    def result_urls(self) -> list[str]:
        """Every stored result in order (a record from before variants has only the one)."""
        if self.output_image_urls:
            return list(self.output_image_urls)
        return [self.output_image_url] if self.output_image_url else []

    @property
    def images_made(self) -> int:
        """How many images the job delivered (and was charged for, before any refund)."""
        return len(self.result_urls) if self.status is JobStatus.COMPLETED else 0


def usage_key(user_id: str, date: str) -> str:
    """The UsageLog key of a user's quota day: `userId#YYYY-MM-DD`."""
    return f"{user_id}#{date}"


# Cognito subs are UUIDs and local tokens refuse ids starting with "__", so no user's
# usage record can share this key.
GLOBAL_USAGE_USER = "__global__"


class CapacityReservation(Model):
    """The service-wide counter a reservation also counts on (GLOBAL_DAILY_LIMIT)."""

    key: str  # `__global__#YYYY-MM-DD`, a UsageLog record like a user's
    limit: int
    expires_at: int  # the record's ttl, epoch seconds


class UsageRecord(Model):
    user_id_date: str
    user_id: str
    date: str
    count: int
    last_updated: datetime


class Usage(Model):
    """Today's usage as `GET /usage` reports it."""

    date: str
    used: int
    limit: int
    remaining_quota: int
    resets_at: datetime


class Style(Model):
    id: str
    name: str
    description: str
    prompt: str


# Every upload ticket asks for this header (docs/api.md §3.1): S3 enforces it through the
# signature and the local server checks it, so a client written for one runtime works on both.
UPLOAD_ENCRYPTION_HEADER = "x-amz-server-side-encryption"
UPLOAD_ENCRYPTION = "AES256"


class PresignedRequest(Model):
    """An HTTP request a client may make without credentials until it expires."""

    url: str
    method: str
    headers: dict[str, str] = Field(default_factory=dict)


class UploadTicket(Model):
    upload_url: str
    method: str
    file_key: str
    expires_in: int
    headers: dict[str, str]


class ObjectInfo(Model):
    key: str
    size: int
    content_type: str | None = None
    first_bytes: bytes = Field(default=b"", repr=False)


class ImageData(Model):
    data: bytes = Field(repr=False)
    content_type: str


class GeneratedImage(Model):
    data: bytes = Field(repr=False)
    content_type: str
    model: str
    usage: dict[str, int] = Field(default_factory=dict)
    # The estimated dollars of this call, when the generator knows its prices.
    cost_usd: float | None = None
    # What made it, as its AI label says (domain/labels.py): a trained model unless told.
    source_type: DigitalSourceType = DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA


JOB_ID_PATTERN = r"^job_([0-9a-f]{32}|[0-9A-HJKMNP-TV-Z]{26})$"


class JobMessage(Model):
    """The SQS message body of docs/api.md §4.2."""

    job_id: str = Field(pattern=JOB_ID_PATTERN)
    user_id: str
    file_key: str = Field(description="the main photo, always the first of `file_keys`")
    style: str
    # Sent only when they differ from the defaults (docs/api.md §4.2); the record decides.
    file_keys: list[str] | None = None
    count: int | None = None
    aspect_ratio: str | None = None


class JobStatusMessage(Model):
    """The WebSocket push of docs/api.md §4.3."""

    type: str = "jobStatus"
    job_id: str
    status: JobStatus
    result_url: str | None = None
    result_urls: list[str] | None = None
    error: JobError | None = None


class Connection(Model):
    connection_id: str
    user_id: str
    connected_at: datetime
    ttl: int


class JobPage(Model):
    items: list[Job]
    next_token: str | None = None


class IdempotencyRecord(Model):
    """The first answer to a `POST /generate` with an Idempotency-Key, kept for replays."""

    key: str = Field(description="userId#Idempotency-Key")
    request_hash: str
    job_id: str
    expires_at: datetime


class GenerationAccepted(Model):
    job_id: str
    status: JobStatus
    remaining_quota: int


# What a queue carries: a job message, or a webhook event on the webhooks' own queue.
Body = TypeVar("Body", bound=Model, covariant=True)


@dataclass(frozen=True)
class ReceivedMessage(Generic[Body]):
    """A message as a queue hands it to a worker: `message_id` settles it."""

    message_id: str
    body: Body
    receive_count: int
    sent_at: float = 0.0
    first_received_at: float = 0.0
