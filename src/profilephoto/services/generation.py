"""Use case: accept a generation request (invariant 1: charge only what reached the queue)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import (
    CapacityExhausted,
    ConditionFailed,
    FileTooLarge,
    IdempotencyConflict,
    InvalidImage,
    InvalidRequest,
    InvalidWebhook,
    QueueUnavailable,
    QuotaExceeded,
    ServiceUnavailable,
    UploadNotFound,
)
from profilephoto.domain.image_signature import SIGNATURE_BYTES, looks_like_image
from profilephoto.domain.job_deletion import answered_unavailable
from profilephoto.domain.job_lifecycle import fail_unqueued, mark_queued
from profilephoto.domain.job_options import JobOptions, message_extras, parse_options
from profilephoto.domain.models import (
    GenerationAccepted,
    IdempotencyRecord,
    Identity,
    Job,
    JobError,
    JobMessage,
    JobStatus,
    Webhook,
)
from profilephoto.domain.ports import (
    AddressResolver,
    Clock,
    IdGenerator,
    JobQueue,
    ObjectStore,
    UnitOfWork,
    WebhookOutbox,
)
from profilephoto.domain.quota import capacity_day, daily_limit, quota_day, usage_today
from profilephoto.domain.reservation import Reservation
from profilephoto.domain.retention import retention_deadline
from profilephoto.domain.styles import StyleCatalog
from profilephoto.domain.webhooks import check_addresses, host_and_port, parse_webhook

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 128


def request_hash(options: JobOptions, style: str, webhook: Webhook | None = None) -> str:
    """What makes two requests under one Idempotency-Key "the same request"."""
    # The third field once held the request's connectionId, which changes nothing: it stays
    # null so that a record written before still matches the request that wrote it.
    fields: list[object] = [options.main_key, style, None]
    if not options.is_default:  # a plain request hashes as it did before variants existed
        fields += [list(options.file_keys), options.count, options.aspect_ratio]
    if webhook is not None:  # as does one without a webhook
        fields += [webhook.url, [e.value for e in webhook.events]]
    canonical = json.dumps(fields, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_idempotency_key(key: str | None) -> str | None:
    """1-128 printable ASCII characters (docs/api.md §3.2), or absent."""
    if key is None:
        return None
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY
        or not all(32 <= ord(c) < 127 for c in key)
    ):
        raise InvalidRequest("Idempotency-Key must be 1-128 printable characters")
    return key


@dataclass(frozen=True)
class _Asked:
    """What a request asks for, to compare with the job an idempotency record names."""

    style: str
    photo_urls: list[str]
    options: JobOptions
    webhook: Webhook | None = None

    def made(self, job: Job | None) -> bool:
        """Whether `job` is what this request asks for. A record written before the
        fingerprint dropped the connectionId (2026-12-04) has another hash for the same
        request; records live 24 h, so this fallback may go once they have expired."""
        return job is not None and (
            job.style,
            job.photo_urls,
            job.count,
            job.aspect_ratio,
            job.webhook,
        ) == (
            self.style,
            self.photo_urls,
            self.options.count,
            self.options.aspect_ratio,
            self.webhook,
        )


class GenerationService:
    def __init__(
        self,
        uow: UnitOfWork,
        uploads: ObjectStore,
        queue: JobQueue,
        styles: StyleCatalog,
        clock: Clock,
        ids: IdGenerator,
        config: ServiceConfig,
        resolver: AddressResolver | None = None,
        webhooks: WebhookOutbox | None = None,
    ) -> None:
        self._uow, self._uploads, self._queue, self._styles = uow, uploads, queue, styles
        self._clock, self._ids, self._config = clock, ids, config
        self._resolver, self._webhooks = resolver, webhooks

    def request_generation(
        self, identity: Identity, request: GenerationRequest
    ) -> GenerationAccepted:
        """Validate, reserve the job's units and create it in one commit, queue it, answer 202."""
        style = self._styles.get(request.style)
        options = parse_options(identity.user_id, request, max_variants=self._config.max_variants)
        idem_key = check_idempotency_key(request.idempotency_key)
        hook = self._webhook(request.webhook, request.webhook_events)
        fingerprint = request_hash(options, style.id, hook)
        record_key = f"{identity.user_id}#{idem_key}"
        asked = _Asked(style.id, [self._uploads.uri(k) for k in options.file_keys], options, hook)
        earlier = self._earlier(record_key, fingerprint, asked) if idem_key is not None else None
        if earlier is not None and (replay := self._replayed(earlier)):
            return replay

        for key in options.file_keys:
            self._check_photo(key)

        now = self._clock.now()
        user = self._uow.users.record_login(identity, now)
        day = quota_day(identity.user_id, now, self._config.quota_zone)
        limit = daily_limit(user, self._config.daily_limit)
        capacity = None
        if self._config.global_daily_limit > 0:
            capacity_reset, capacity = capacity_day(now, self._config.global_daily_limit)
        job = Job(
            job_id=self._ids.job_id(),
            user_id=identity.user_id,
            status=JobStatus.PENDING,
            style=style.id,
            input_image_url=self._uploads.uri(options.main_key),
            reference_image_urls=[self._uploads.uri(k) for k in options.file_keys[1:]],
            count=options.count,
            aspect_ratio=options.aspect_ratio,
            prompt=style.prompt,
            created_at=now,
            updated_at=now,
            quota_date=day.date,
            capacity_date=capacity_reset.date if capacity is not None else None,
            ttl=retention_deadline(now, self._config.result_retention_days),
            idempotency_key=record_key if idem_key is not None else None,
            webhook=hook,
        )
        record = None
        if idem_key is not None:
            record = IdempotencyRecord(
                key=record_key,
                request_hash=fingerprint,
                job_id=job.job_id,
                expires_at=now + self._config.idempotency_window,
            )
        try:
            used = self._uow.reserve_and_create_job(
                Reservation(
                    job,
                    day.key,
                    limit,
                    day.expires_at(),
                    now,
                    record,
                    replaces=earlier.job_id if earlier is not None else None,
                    capacity=capacity,
                )
            )
        except QuotaExceeded as exceeded:
            raise QuotaExceeded(retry_after=day.seconds_until_reset(now)) from exceeded
        except CapacityExhausted as exhausted:
            # Fails closed: nothing was charged, and the caller learns when it reopens.
            log.warning("global daily limit reached", extra={"userId": identity.user_id})
            raise CapacityExhausted(
                retry_after=capacity_reset.seconds_until_reset(now)
            ) from exhausted
        except ConditionFailed:
            # Only a concurrent twin holding the same Idempotency-Key gets here.
            if idem_key is None:
                raise
            twin = self._earlier(record_key, fingerprint, asked)
            if twin is not None and (replay := self._replayed(twin)):
                return replay
            raise QueueUnavailable() from None  # the twin's attempt failed too: retry again
        try:
            self._queue.send(
                JobMessage(
                    job_id=job.job_id,
                    user_id=job.user_id,
                    file_key=options.main_key,
                    style=style.id,
                    **message_extras(options),
                )
            )
        except QueueUnavailable as exc:
            error = JobError(code=exc.code, message=exc.message)
            self._uow.apply(fail_unqueued(job, error, self._clock.now()))
            raise
        self._mark_queued(job)
        return GenerationAccepted(
            job_id=job.job_id, status=JobStatus.QUEUED, remaining_quota=max(0, limit - used)
        )

    def _webhook(self, url: object, events: object) -> Webhook | None:
        """The request's webhook, checked before anything is charged: InvalidWebhook when it
        is not an https URL or its host resolves to an address deliveries may not reach
        (the sender checks again at each attempt: a name may resolve elsewhere by then)."""
        allow_private = self._config.webhook_allow_private
        hook = parse_webhook(url, events, allow_private=allow_private)
        if hook is not None and self._webhooks is None:
            raise InvalidWebhook("This deployment does not deliver webhooks")
        if hook is not None and not allow_private:
            host, port = host_and_port(hook.url)
            addresses = self._resolver.addresses(host, port) if self._resolver else []
            check_addresses(host, addresses)
        return hook

    def _check_photo(self, key: str) -> None:
        """The stored object exists, is not too large and starts like an image: one call,
        before anything is charged (a renamed text file costs nothing)."""
        info = self._uploads.peek(key, SIGNATURE_BYTES)
        if info is None:
            raise UploadNotFound()
        if info.size > self._config.max_upload_bytes:
            raise FileTooLarge(f"The upload is larger than {self._config.max_upload_bytes} bytes")
        if not looks_like_image(info.first_bytes):
            raise InvalidImage("The uploaded file is not a JPEG, PNG, WebP or HEIC image")

    def _mark_queued(self, job: Job) -> None:
        """pending -> queued; the job is on the queue whatever this write says, so it is a 202.

        A worker may have claimed (even finished) the job before this write; a write that
        fails leaves a pending job that a claim still accepts and the sweep re-queues.
        """
        try:
            self._uow.apply(mark_queued(job, self._clock.now()))
        except (ConditionFailed, ServiceUnavailable) as error:
            log.info(
                "job queued but not marked queued",
                extra={"jobId": job.job_id, "userId": job.user_id, "code": error.code},
            )

    def _earlier(
        self, record_key: str, fingerprint: str, asked: _Asked
    ) -> IdempotencyRecord | None:
        """The live record of a reused Idempotency-Key; 409 when the body differs."""
        record = self._uow.idempotency.get(record_key, self._clock.now())
        if (
            record is not None
            and record.request_hash != fingerprint
            and not asked.made(self._uow.jobs.get(record.job_id))
        ):
            raise IdempotencyConflict()
        return record

    def _replayed(self, record: IdempotencyRecord) -> GenerationAccepted | None:
        """The first answer again, or None when it was a 5xx: that is never final
        (docs/api.md), so the request runs again and takes the record over."""
        if answered_unavailable(self._uow.jobs.get(record.job_id)):
            return None
        user_id = record.key.split("#", 1)[0]
        return GenerationAccepted(
            job_id=record.job_id,
            status=JobStatus.QUEUED,
            remaining_quota=self._remaining(user_id),
        )

    def _remaining(self, user_id: str) -> int:
        user = self._uow.users.get(user_id)
        _, usage = usage_today(self._uow.usage, user_id, user, self._clock.now(), self._config)
        return usage.remaining_quota
