"""Use case: process one queued job; duplicates are harmless, failures classified."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import (
    ConditionFailed,
    GenerationError,
    GenerationFailed,
    JobCanceled,
    ObjectNotFound,
    ProfilePhotoError,
    RetryLater,
    ServiceUnavailable,
    TransientGenerationError,
    UploadNotFound,
)
from profilephoto.domain.job_lifecycle import Describes, claim, complete, fail, release_lease
from profilephoto.domain.likeness import LikenessCheck
from profilephoto.domain.models import (
    GeneratedImage,
    ImageData,
    Job,
    JobError,
    JobMessage,
    JobStatus,
    Style,
)
from profilephoto.domain.object_keys import object_key
from profilephoto.domain.photo_check import check_photos
from profilephoto.domain.ports import (
    Clock,
    ContentLabeler,
    FaceMatcher,
    ImageGenerator,
    ImageProcessor,
    Notifier,
    ObjectStore,
    PhotoInspector,
    UnitOfWork,
    WebhookOutbox,
)
from profilephoto.domain.styles import StyleCatalog
from profilephoto.domain.throttle import Throttle
from profilephoto.domain.upload_policy import result_key
from profilephoto.services.job_endings import close_out, discard_strays, push_started
from profilephoto.services.lost_answers import apply_or_read_back
from profilephoto.services.variants import produce_variants, seeded, total_usage

log = logging.getLogger(__name__)

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"  # duplicate, late, or disagreeing message: acknowledged, nothing done
    DISCARDED = "discarded"  # canceled while we worked: nothing stored, counted or pushed


@dataclass(frozen=True)
class Processed:
    """What became of one message; `job` is the final job when this call finished it."""

    outcome: Outcome
    job: Job | None = None


class ProcessingService:
    def __init__(
        self,
        uow: UnitOfWork,
        uploads: ObjectStore,
        results: ObjectStore,
        generator: ImageGenerator,
        images: ImageProcessor,
        notifier: Notifier,
        styles: StyleCatalog,
        clock: Clock,
        config: ServiceConfig,
        inspector: PhotoInspector,
        labeler: ContentLabeler,
        matcher: FaceMatcher,
        throttle: Throttle,
        webhooks: WebhookOutbox | None = None,
    ) -> None:
        self._uow, self._uploads, self._results = uow, uploads, results
        self._webhooks = webhooks
        self._images, self._notifier = images, notifier
        self._styles, self._clock, self._config = styles, clock, config
        self._inspector, self._labeler = inspector, labeler
        self._inspector = inspector
        self._likeness = LikenessCheck(matcher, config.likeness)
        self._throttle = throttle
        self._generator = self._throttle.guard(generator, clock)

    def process(self, message: JobMessage) -> Processed:
        """Claim, generate, store and complete one job; raise RetryLater to be redelivered."""
        if (later := self._throttle.paused(self._clock.now())) is not None:
            # Before the claim, so a job held back uncalled spends none of its attempts.
            log.info("model calls paused: message handed back", extra={"jobId": message.job_id})
            raise RetryLater("Model calls are paused", delay=later, paused=True)
        # The photos the message names are read, normalized and checked before the claim,
        # so that the claim is the last write before the model call: a cancel that lands
        # first fails the claim and saves the call, with no read of the job to find out.
        photos = self._photos_of(message, _keys(message))
        try:
            # One conditional write claims the job, and only the job this message names:
            # a duplicate, a late twin, a live lease elsewhere or a message that disagrees
            # with the record (docs/api.md §4.2: the record is the truth) all end here, unwritten.
            message_names = Describes(
                user_id=message.user_id,
                style=message.style,
                input_image_url=self._uploads.uri(message.file_key),
            )
            now = self._clock.now()
            lease = now + self._config.processing_lease
            job = self._uow.apply(claim(message.job_id, message_names, now, lease))
        except ConditionFailed:
            log.info(
                "message skipped: job finished, leased elsewhere, unknown or disagreeing",
                extra={"jobId": message.job_id, "userId": message.user_id},
            )
            return Processed(Outcome.SKIPPED)
        push_started(self._notifier, job)
        try:
            return self._run(job, photos)
        except JobCanceled:
            log.info("work discarded: the job was canceled", extra={"jobId": job.job_id})
            return Processed(Outcome.DISCARDED)
        except GenerationError as error:
            if not error.transient:
                return self._fail(job, error)
            return self._retry_or_fail(job, error)
        except ServiceUnavailable as error:
            return self._retry_or_fail(job, error)
        except ProfilePhotoError as error:
            return self._fail(job, error)
        except Exception as error:  # a bug must not lose the job: retry, then fail and refund
            log.exception("unexpected error while processing", extra={"jobId": job.job_id})
            return self._retry_or_fail(job, GenerationFailed(f"internal error: {error!r}"))

    def _photos_of(self, subject: Job | JobMessage, keys: list[str]) -> Photos:
        """The photos under `keys` as the model gets them, checked; a failure is kept, to
        be raised once the job is claimed (as if it had happened after the claim)."""
        try:
            with _step("read", subject):
                originals = [self._read(key) for key in keys]
            with _step("normalize", subject):
                photos = [self._prepare(original, index=n) for n, original in enumerate(originals)]
            with _step("check", subject):  # before any model call: a rejected photo costs nothing
                check_photos(self._inspector, photos, self._config.photo_check)
        except Exception as error:
            return Photos([self._uploads.uri(key) for key in keys], [], [], error)
        return Photos([self._uploads.uri(key) for key in keys], originals, photos)

    def _run(self, job: Job, photos: Photos) -> Processed:
        started = self._clock.now()
        style = self._styles.get(job.style)
        if photos.urls != job.photo_urls:  # the record names other photos: it is the truth
            photos = self._photos_of(job, [object_key(url) for url in job.photo_urls])
        if photos.error is not None:
            raise photos.error
        originals, prepared = photos.originals, photos.prepared
        with _step("likeness", job):  # who the results must look like (docs/api.md, "Likeness")
            reference = self._likeness.reference(prepared)
        with _step("generate", job):
            # `count` concurrent model calls, each with every photo (main first); an image
            # short of the likeness bar is made again at once.
            count = job.count
            variants = produce_variants(
                count,
                lambda n: self._likeness.best_of(
                    seeded(lambda s: self._make(prepared, style, job.aspect_ratio, s), n, count),
                    reference,
                ),
            )
        images, likeness, unmatched = self._likeness.summary(variants.produced)
        # A cancel that lands from here on is found by the conditional completion, which
        # then deletes what was stored (_discard_strays_if_ended).
        with _step("store", job):
            keys = [self._store(job, n, made.image) for n, made in enumerate(images)]
        elapsed = self._clock.now() - started
        calls = [call for made in images for call in made.calls]  # every answer paid for
        metadata: dict[str, object] = {
            **job.metadata,
            "model": images[0].made.model,
            "inputBytes": sum(len(o) for o in originals),
            "sentBytes": sum(len(p.data) for p in prepared),
            **likeness,
        }
        if usage := total_usage(calls):
            metadata["usage"] = usage
        costs = [made.cost_usd for made in calls]
        if any(cost is not None for cost in costs):
            metadata["costUsd"] = round(sum(cost or 0.0 for cost in costs), 6)
        stored = [self._results.uri(key) for key in keys]
        change = complete(
            job,
            stored,
            int(elapsed.total_seconds() * 1000),
            metadata,
            self._clock.now(),
            unmatched=unmatched,
        )
        try:
            done = apply_or_read_back(self._uow, change)
        except ConditionFailed:
            current = self._discard_strays_if_ended(job)
            if current is None or current.status is JobStatus.CANCELED:
                raise JobCanceled() from None
            return Processed(Outcome.SKIPPED)  # a twin finished first; it counted and notified
        except Exception:
            with suppress(Exception):
                self._discard_strays_if_ended(job)
            raise
        close_out(
            self._notifier,
            self._results,
            done,
            result_urls=self._signed(done, keys),
            webhooks=self._webhooks,
            unsent=self._uow.unsent_webhooks,
        )
        return Processed(Outcome.COMPLETED, done)

    def _signed(self, done: Job, keys: list[str]) -> list[str] | None:
        """The result URLs for the final push; None when they cannot be signed: the push
        still tells the owner the job completed (they get the URLs from GET /jobs)."""
        try:
            return [
                self._results.presign_download(key, self._config.result_url_expiration)
                for key in keys
            ]
        except Exception:
            log.warning("result URLs not signed for the push", extra={"jobId": done.job_id})
            return None

    def _read(self, key: str) -> bytes:
        try:
            return self._uploads.read(key)
        except ObjectNotFound as missing:
            raise UploadNotFound("An uploaded photo is gone") from missing

    def _make(
        self, photos: list[ImageData], style: Style, aspect_ratio: str, seed: int
    ) -> tuple[GeneratedImage, ImageData]:
        """One variant: one model call, and its answer as it will be stored: labelled as
        made by AI (invariant 9), or not at all."""
        generated = self._generator.generate(photos, style, aspect_ratio=aspect_ratio, seed=seed)
        return generated, self._labeler.label(self._images.encode_result(generated), generated)

    def _store(self, job: Job, n: int, image: ImageData) -> str:
        """Variant `n` under the job's own key for it: a duplicate run overwrites, never adds."""
        key = result_key(job.user_id, job.job_id, n, EXTENSIONS.get(image.content_type, "png"))
        self._results.write(key, image.data, image.content_type)
        return key

    def _discard_strays_if_ended(self, job: Job) -> Job | None:
        """After our completing write did not happen: if the job has ended some other way,
        what we stored and it does not point at is deleted (a twin that completed keeps its
        images). A job still unfinished keeps them: its next attempt writes the same keys,
        and its end tidies the folder. Returns the job as it now is (None: deleted)."""
        current = self._uow.jobs.get(job.job_id)
        if current is None or current.status.is_terminal:
            discard_strays(self._results, current or job)
        return current

    def _prepare(self, original: bytes, index: int) -> ImageData:
        """Photo `index` (0 = the main one) as the model gets it: its pixels shrunk to what
        the model can use of it (docs/gemini.md, "Input policy")."""
        return self._images.normalize_upload(original, max_side=self._config.photo_side(index))

    def _retry_or_fail(self, job: Job, error: ProfilePhotoError) -> Processed:
        # The job's own count of claims, not the queue's receive count: a delivery the
        # breaker handed back uncalled was not an attempt.
        attempts = job.attempts
        throttled = isinstance(error, TransientGenerationError) and error.throttled
        if self._throttle.gives_up(attempts, self._config.max_attempts, throttled):
            return self._fail(
                job, GenerationFailed(f"Gave up after {attempts} attempts: {error.message}")
            )
        # Hand the job back at once so the redelivered message can claim it.
        try:
            self._uow.apply(release_lease(job, self._clock.now()))
        except ConditionFailed:
            return Processed(Outcome.SKIPPED)
        hint = error.retry_after if isinstance(error, TransientGenerationError) else None
        delay = self._throttle.retry_delay(attempts, hint)
        log.info(
            "job handed back for a retry",
            extra={
                "jobId": job.job_id,
                "code": error.code,
                "retryDelaySeconds": delay.total_seconds() if delay else None,
            },
        )
        raise RetryLater(error.message, delay=delay, throttled=throttled) from error

    def _fail(self, job: Job, error: ProfilePhotoError) -> Processed:
        code = error.code
        # An error's details (a rejected photo's reason and photoIndex) go onto the job.
        job_error = JobError.model_validate(
            {**error.details, "code": code, "message": error.message}
        )
        try:
            failed = apply_or_read_back(self._uow, fail(job, job_error, self._clock.now()))
        except ConditionFailed:
            return Processed(Outcome.SKIPPED)
        log.info("job failed", extra={"jobId": job.job_id, "userId": job.user_id, "code": code})
        close_out(
            self._notifier,
            self._results,
            failed,
            webhooks=self._webhooks,
            unsent=self._uow.unsent_webhooks,
        )
        return Processed(Outcome.FAILED, failed)


@dataclass
class Photos:
    """A job's photos as read (`originals`) and as the model gets them (`prepared`), under
    their stored references `urls`; or the `error` that stopped reading or checking them."""

    urls: list[str]
    originals: list[bytes]
    prepared: list[ImageData]
    error: Exception | None = None


def _keys(message: JobMessage) -> list[str]:
    """The photos a message names, the main one first."""
    return list(message.file_keys or [message.file_key])


@contextmanager
def _step(name: str, job: Job | JobMessage) -> Iterator[None]:
    """Log one processing step with its duration, whether it succeeds or raises."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        log.info(
            "step %s",
            name,
            extra={
                "step": name,
                "jobId": job.job_id,
                "userId": job.user_id,
                "outcome": outcome,
                "durationMs": round((time.perf_counter() - started) * 1000, 1),
            },
        )
