"""One error hierarchy; every error carries the stable machine code of docs/api.md §3."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


class ProfilePhotoError(Exception):
    """Base of every error the domain raises; `code` is stable, `message` is for humans."""

    code = "internal_error"
    default_message = "Something went wrong"

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def to_body(self) -> dict[str, Any]:
        """The JSON error body of docs/api.md §3: error, code, and any extra details."""
        return {"error": self.message, "code": self.code, **self.details}


# --- caller mistakes (400) ---------------------------------------------------------------


class InvalidRequest(ProfilePhotoError):
    code = "invalid_request"
    default_message = "The request is not valid"


class UnsupportedType(InvalidRequest):
    code = "unsupported_type"
    default_message = "This content type is not supported"


class ExtensionMismatch(InvalidRequest):
    code = "extension_mismatch"
    default_message = "The file name's extension does not match its content type"


class FileTooLarge(InvalidRequest):
    code = "file_too_large"
    default_message = "The file is too large"


class InvalidWebhook(InvalidRequest):
    code = "invalid_webhook"
    default_message = "The webhook is not a URL deliveries may reach"


class UnknownStyle(InvalidRequest):
    code = "unknown_style"
    default_message = "Unknown style"


# --- identity and ownership -------------------------------------------------------------


class Unauthorized(ProfilePhotoError):
    code = "unauthorized"
    default_message = "Authentication required"


class Forbidden(ProfilePhotoError):
    code = "forbidden"
    default_message = "You may only use your own uploads"


# --- missing things (404) ---------------------------------------------------------------


class UploadNotFound(ProfilePhotoError):
    code = "upload_not_found"
    default_message = "Uploaded file not found in S3"


class JobNotFound(ProfilePhotoError):
    code = "job_not_found"
    default_message = "Job not found"


class ObjectNotFound(ProfilePhotoError):
    """An object store has no object under the key (adapters raise it from read)."""

    code = "object_not_found"
    default_message = "Object not found"


# --- conflicts and limits ---------------------------------------------------------------


class IdempotencyConflict(ProfilePhotoError):
    code = "idempotency_conflict"
    default_message = "This Idempotency-Key was already used with a different request"


class JobInProgress(ProfilePhotoError):
    code = "job_in_progress"
    default_message = "The job is still running; delete it once it has finished"


class JobFinished(ProfilePhotoError):
    code = "job_finished"
    default_message = "The job has already finished; there is nothing to cancel"


class AccountDeleting(ProfilePhotoError):
    """DELETE /me is removing the caller's account: no job may start under it meanwhile."""

    code = "account_deleting"
    default_message = "The account is being deleted; no new job can start"


class JobCanceled(ProfilePhotoError):
    """The owner canceled the job while a worker was on it; the worker discards its work."""

    code = "job_canceled"
    default_message = "The job was canceled"


class CapacityExhausted(ProfilePhotoError):
    """GLOBAL_DAILY_LIMIT generations were admitted today (UTC) across all users."""

    code = "capacity_exhausted"
    default_message = (
        "The service has reached today's capacity. Please try again after midnight UTC"
    )

    def __init__(self, message: str | None = None, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QuotaExceeded(ProfilePhotoError):
    code = "quota_exceeded"
    default_message = "Daily quota exceeded"

    def __init__(self, message: str | None = None, *, retry_after: int = 0) -> None:
        super().__init__(message, remainingQuota=0)
        self.retry_after = retry_after


class ConditionFailed(ProfilePhotoError):
    """A conditional write found the item not in the expected state (nothing was written)."""

    code = "condition_failed"
    default_message = "The item was not in the expected state"


# --- infrastructure (503 / retry) -------------------------------------------------------


class ServiceUnavailable(ProfilePhotoError):
    """A dependency is throttling or down; the operation may succeed if retried."""

    code = "service_unavailable"
    default_message = "A backing service is temporarily unavailable"


class RetryLater(ServiceUnavailable):
    """The worker gave a job back to the queue; its message should be delivered again.

    `delay` is when (None: whenever the queue's visibility timeout says); `throttled` when
    the model refused the call for our rate, `paused` when the worker did not call it at all.
    """

    code = "retry_later"
    default_message = "The job will be retried"

    def __init__(
        self,
        message: str | None = None,
        *,
        delay: timedelta | None = None,
        throttled: bool = False,
        paused: bool = False,
    ) -> None:
        super().__init__(message)
        self.delay, self.throttled, self.paused = delay, throttled, paused


class QueueUnavailable(ServiceUnavailable):
    code = "queue_unavailable"
    default_message = "The job could not be queued; your quota was not charged"


# --- image generation outcomes (recorded on failed jobs) --------------------------------


class GenerationError(ProfilePhotoError):
    """Base of generator and image failures; `transient` decides retry versus fail."""

    transient = False


class TransientGenerationError(GenerationError):
    """Throttling, 5xx, timeouts: the job is retried until its attempts are spent.

    `throttled` marks a refusal for our request rate (HTTP 429); `retry_after` is the wait
    the model asked for, when it named one.
    """

    code = "generation_unavailable"
    default_message = "The image model is temporarily unavailable"
    transient = True

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: timedelta | None = None,
        throttled: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after, self.throttled = retry_after, throttled


class GenerationFailed(GenerationError):
    code = "generation_failed"
    default_message = "The image model did not produce an image"


class ModelUnavailable(GenerationError):
    """The model and every fallback answered 404: an outage to page about, not a bad photo."""

    code = "model_unavailable"
    default_message = "The image model is not available"


class ModelAccessDenied(GenerationError):
    """The model refused our API key (401/403): the operator must fix the deployment."""

    code = "model_access_denied"
    default_message = "The image service is misconfigured; you were not charged"


class ContentBlocked(GenerationError):
    code = "content_blocked"
    default_message = "The image model declined this photo"


class InvalidImage(GenerationError):
    code = "invalid_image"
    default_message = "The uploaded file is not a usable image"


class PhotoRejected(GenerationError):
    """The photo check turned a photo away before the model: refunded, never retried.

    `details` carry `reason` and `photoIndex`, which go onto the job's error."""

    code = "photo_rejected"
    default_message = "This photo cannot make a good profile photo"


class ImageTooLarge(GenerationError):
    """A photo within the published limits that this worker has not the memory to decode.

    Our capacity, not the user's fault: refunded. Permanent: a retry would spend the
    same memory again (and a deliberate bomb would be retried for free).
    """

    code = "image_too_large"
    default_message = "The photo needs more memory to decode than we have; you were not charged"


class LabelingFailed(GenerationError):
    """A result could not be marked as made by AI (its C2PA manifest could not be signed).

    Never delivered unlabelled: our failure, so refunded, and retried (the signer may be
    back: a secret that could not be read, a throttled Secrets Manager).
    """

    code = "labeling_failed"
    default_message = "The result could not be labelled as made by AI; you were not charged"
    transient = True


# --- webhook deliveries (never seen by the API's callers) -------------------------------


class WebhookUnreachable(ProfilePhotoError):
    """A webhook attempt got no answer: the host refused or resolved to an address we may
    not call, the connection failed, or nothing came within the timeout. Retried."""

    code = "webhook_unreachable"
    default_message = "The webhook did not answer"
