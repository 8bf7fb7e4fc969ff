"""The ports: what the domain needs from the world, as typing.Protocols."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from profilephoto.domain.face_embedding import FaceEmbedding
from profilephoto.domain.job_deletion import JobDeletion
from profilephoto.domain.job_lifecycle import JobChange
from profilephoto.domain.labels import FoundLabel
from profilephoto.domain.models import (
    Connection,
    GeneratedImage,
    IdempotencyRecord,
    Identity,
    ImageData,
    Job,
    JobMessage,
    JobPage,
    JobStatus,
    JobStatusMessage,
    Model,
    ObjectInfo,
    PresignedRequest,
    ReceivedMessage,
    Style,
    UsageRecord,
    User,
)
from profilephoto.domain.photo_measures import PhotoMeasures
from profilephoto.domain.report import DayReport
from profilephoto.domain.reservation import Reservation
from profilephoto.domain.webhooks import WebhookEvent


class ObjectStore(Protocol):
    """One private bucket of objects (uploads or results)."""

    def uri(self, key: str) -> str:
        """The stored reference of a key, `scheme://bucket/key` (e.g. `s3://b/k`); no I/O."""

    def presign_upload(
        self, key: str, content_type: str, expires_in: int, size: int
    ) -> PresignedRequest:
        """A PUT any client may make until it expires, of exactly `size` bytes (any other
        length is refused); it must send the returned headers."""

    def peek(self, key: str, length: int) -> ObjectInfo | None:
        """Size, type and first `length` bytes (all of them when shorter) of the object, in
        one call (a ranged GET on S3); None when there is none. ServiceUnavailable."""

    def read(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound when absent, ServiceUnavailable when down."""

    def write(self, key: str, data: bytes, content_type: str) -> None:
        """Store (or replace) the object, encrypted at rest. ServiceUnavailable."""

    def presign_download(self, key: str, expires_in: int) -> str:
        """A GET URL for the object that expires; makes no network call."""

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""

    def delete_prefix(self, prefix: str, keep: Collection[str] = ()) -> int:
        """Remove every object whose key starts with `prefix` (which ends in `/`), except
        the keys in `keep`; returns how many went. ServiceUnavailable when the store is down
        (safe to call again)."""


class JobQueue(Protocol):
    def send(self, message: JobMessage) -> None:
        """Put one message on the queue, or raise QueueUnavailable (nothing was sent)."""


class JobInbox(Protocol):
    """The worker's side of a queue an in-process host drains (SQLite, memory), as Lambda's
    SQS trigger does on AWS: receive a batch, then settle each message."""

    def receive(self, max_messages: int = 10) -> Sequence[ReceivedMessage[Model]]:
        """Up to `max_messages` visible messages, oldest first, now hidden for the queue's
        visibility timeout and their receive count raised."""

    def delete(self, message_id: str) -> None:
        """Acknowledge a received message; deleting an unknown one is not an error."""

    def release(self, message_id: str, delay: float = 0.0) -> None:
        """Make a received message visible again after `delay` seconds."""


class Redelivery(Protocol):
    """The worker's side of the queue: when a message it hands back comes again."""

    def postpone(self, receipt: str, delay: timedelta) -> None:
        """Deliver the received message (its receipt handle) again after `delay`, not at its
        visibility timeout. Never raises: failing that, the timeout still brings it back."""


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None:
        """The user, or None."""

    def record_login(self, identity: Identity, now: datetime) -> User:
        """Create the user on first sight, else refresh their claims and lastLoginAt. A
        user created anew gets the personal `dailyLimit` the usage ledger keeps for them
        (`UsageLedger.personal_limit`: an account deleted and made again keeps it)."""

    def delete(self, user_id: str) -> None:
        """Forget the user's record; forgetting an unknown user is not an error."""

    def mark_deleting(self, user_id: str, until: datetime, now: datetime) -> None:
        """Mark the account as being deleted until `until` in one write (the record is
        created when there is none); every other attribute is left as stored. While the
        mark holds, `reserve_and_create_job` refuses the user's jobs."""

    def set_daily_limit(self, user_id: str, limit: int, now: datetime) -> User:
        """Give the user a personal `dailyLimit` (the record is created when there is none;
        every other attribute is left as stored) and keep it in the usage ledger, where it
        outlives the Users record (`UsageLedger.personal_limit`)."""


class UsageLedger(Protocol):
    def get(self, key: str) -> UsageRecord | None:
        """The usage record under `userId#YYYY-MM-DD`, or None when nothing was used."""

    def personal_limit(self, user_id: str) -> int | None:
        """The personal `dailyLimit` an operator last gave the user (`admin set-limit`),
        kept here because it is the operator's, not the account's: DELETE /me leaves it."""

    def report(self, date: str) -> DayReport | None:
        """The figures of the jobs created on the UTC day `date` that have ended (every
        `apply` of a change with a `report` adds to them), or None when none has."""


class JobRepository(Protocol):
    def get(self, job_id: str) -> Job | None:
        """The job, or None."""

    def delete(self, job_id: str) -> None:
        """Forget the job record; deleting an unknown job is not an error."""

    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> JobPage:
        """The user's jobs newest first; `next_token` is opaque. InvalidRequest for a bad cursor."""

    def list_created(self, status: JobStatus, start: datetime, end: datetime) -> list[Job]:
        """Every job in `status` created in [start, end), oldest first (via StatusIndex;
        for operators' reports, not for a request path)."""

    def list_created_before(
        self, status: JobStatus, created_before: datetime, limit: int
    ) -> list[Job]:
        """Jobs in `status` created before `created_before`, oldest first (via StatusIndex):
        the reconciler's stuck jobs, retention's expired ones."""


class ConnectionRepository(Protocol):
    def add(self, connection: Connection) -> None:
        """Store (or replace) a WebSocket connection."""

    def remove(self, connection_id: str) -> None:
        """Forget a connection; forgetting an unknown one is not an error."""

    def list_for_user(self, user_id: str) -> list[Connection]:
        """Every stored connection of the user."""


class IdempotencyStore(Protocol):
    def get(self, key: str, now: datetime) -> IdempotencyRecord | None:
        """The live record under `userId#Idempotency-Key` at `now`; None if absent or expired."""

    def delete(self, key: str) -> None:
        """Forget the record under `userId#Idempotency-Key`; forgetting none is not an error."""


class UnsentWebhooks(Protocol):
    """The transactional outbox of webhook events: `UnitOfWork.apply` keeps a change's
    `event` here in the commit that ends the job; it stays until it is on the webhooks'
    queue (WebhookOutbox). Never a job: no job listing, sweep or report shows one."""

    def older_than(self, moment: datetime, limit: int) -> list[WebhookEvent]:
        """Up to `limit` events whose job ended before `moment`, oldest first."""

    def remove(self, event_id: str) -> None:
        """Forget the event (it is queued); forgetting an unknown one is not an error."""


class UnitOfWork(Protocol):
    """The repositories and the multi-item commits that must be all-or-nothing."""

    # Read-only: an adapter may hold its own repository types (a mutable Protocol member
    # would demand exactly these types, and no adapter could be checked against the port).
    @property
    def users(self) -> UserRepository: ...

    @property
    def usage(self) -> UsageLedger: ...

    @property
    def jobs(self) -> JobRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def unsent_webhooks(self) -> UnsentWebhooks: ...

    def reserve_and_create_job(self, reservation: Reservation) -> int:
        """One atomic commit of a reservation the domain decided: count its units under
        `usage_key` and, with `capacity`, under `capacity.key` too, create its job and keep
        its idempotency record, only if `reservation.check` passes on the stored state, and
        raising what it raises (the owner's Users record, for `User.is_being_deleted`, is
        read in the same commit); in every failure nothing is written. Returns the user's new
        count."""

    def delete_job(self, deletion: JobDeletion) -> None:
        """One atomic commit of a deletion the domain decided: forget the job record and,
        when `deletion.forgets` the idempotency record stored under its `idempotency_key`,
        that record too (any other record stays). Deleting an unknown job is not an error."""

    def apply(self, change: JobChange) -> Job:
        """One atomic commit of a change the domain decided: write `change.updates` (and
        add `change.attempts_added`) to the job only if the stored job satisfies the change's
        guard (`change.holds`), give `change.refund` units back to each of
        `change.refund_keys` (never below zero) and add `change.images` to the owner's
        totalImagesGenerated when the owner has a Users record (none is created), and add
        `change.report` to its day's report in the usage ledger (`UsageLedger.report`), and
        keep `change.event` among `unsent_webhooks`. Returns the job as changed;
        ConditionFailed, with nothing written, when the job is missing or not as expected.
        """


class ImageGenerator(Protocol):
    @property
    def model_name(self) -> str:
        """The model the generator uses, recorded as the job's `metadata.model`."""

    def generate(
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        """One styled portrait of the person in `images` (1-3 photos, the main one first),
        shaped `aspect_ratio` (docs/api.md lists the ratios). Each call of a job has its own
        `seed` (variants and retries): a generator that would answer the same input with the
        same picture varies it by the seed. Raises
        TransientGenerationError (retry), ModelUnavailable, ContentBlocked, GenerationFailed
        or InvalidImage (permanent)."""


class PauseRecord(Protocol):
    """The model's pause, one for the whole fleet of workers (docs/deploy.md, "Throttling"):
    a worker that meets a 429 extends it, every worker reads it before calling the model."""

    def paused_until(self) -> datetime | None:
        """The moment model calls may resume, as last extended (it may have passed); None
        when no pause was ever recorded. ServiceUnavailable when it cannot be read."""

    def extend(self, until: datetime) -> None:
        """Pause model calls until `until`, unless a later pause is already recorded: a
        pause is never shortened, whoever writes concurrently. ServiceUnavailable when it
        cannot be written."""


class ImageProcessor(Protocol):
    """The image seam: normalize what users upload and what models return."""

    def normalize_upload(self, data: bytes, max_side: int | None = None) -> ImageData:
        """A safe, metadata-free copy of an upload no larger than `max_side` pixels on its
        longest side (the processor's own limit when None); InvalidImage when it is not one."""

    def encode_result(self, image: GeneratedImage) -> ImageData:
        """The result as stored (no metadata); GenerationFailed (refunded) for model garbage."""


class ContentLabeler(Protocol):
    """Marks a result as made by AI (docs/api.md, "AI-generated label"): XMP and C2PA."""

    def label(self, image: ImageData, origin: GeneratedImage) -> ImageData:
        """`image` (the result as stored, in its own format) with an XMP
        `Iptc4xmpExt:DigitalSourceType` and, when signing is on, a signed C2PA manifest
        naming `origin`'s model and source type; a manifest `origin` carried is kept as
        its parent. The pixels are not touched. LabelingFailed (transient, refunded) when
        it cannot be labelled: a result never leaves unlabelled. Thread-safe."""

    def read(self, data: bytes) -> FoundLabel | None:
        """The label `data` carries (whoever wrote it), or None when it carries none;
        `intact` is False when its signed manifest no longer matches the bytes."""


class PhotoInspector(Protocol):
    """Looks at a normalized photo before the model is paid to: faces, light, sharpness."""

    def inspect(self, image: ImageData) -> PhotoMeasures:
        """The faces (largest first, in pixels of the image scaled to at most 768 px) and the
        light of the image and of the main face; InvalidImage when the bytes are not one.
        Safe to call from several threads at once."""


class FaceMatcher(Protocol):
    """Finds the main face of an image and says who it looks like, as an embedding."""

    def embed(self, image: ImageData) -> FaceEmbedding | None:
        """The embedding of the image's largest face, None when it shows no face;
        InvalidImage when the bytes are not an image. Safe to call from several threads."""


class Notifier(Protocol):
    def notify(self, user_id: str, message: JobStatusMessage) -> None:
        """Push to every connection of the user and no other; never raises. A stranger's
        connection must never receive another user's result URL."""


class AddressResolver(Protocol):
    def addresses(self, host: str, port: int) -> list[str]:
        """The IP addresses `host` resolves to, as text (an IP literal is itself); [] when
        it resolves to none. Never raises."""


class WebhookOutbox(Protocol):
    """The webhook deliveries' own queue: an event put here is delivered (and retried) apart
    from the job, which it never changes."""

    def send(self, message: WebhookEvent) -> None:
        """Queue the event for delivery, or raise QueueUnavailable (nothing was queued)."""


class WebhookSender(Protocol):
    def send(self, url: str, message_id: str, body: bytes) -> int:
        """POST `body` (JSON) to `url`, signed per Standard Webhooks (`webhook-id`
        `message_id`, this attempt's `webhook-timestamp`), to an address the SSRF rule
        allows (domain/webhooks.refusal, unless private addresses are allowed), following
        no redirect; the HTTP status answered. WebhookUnreachable when no answer came
        within the timeout or the host may not be called. Thread-safe."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""


class IdGenerator(Protocol):
    def job_id(self) -> str:
        """A new job id: `job_` + 32 lowercase hex."""

    def unique(self) -> str:
        """32 lowercase hex characters, unique per call (used in upload keys)."""
