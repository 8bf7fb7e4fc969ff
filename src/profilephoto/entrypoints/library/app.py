"""The app a host holds: every use case of the HTTP API as a typed method call."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from profilephoto.containers.core import Application
from profilephoto.domain.commands import GenerationRequest, UploadRequest
from profilephoto.domain.errors import InvalidImage, InvalidRequest, ProfilePhotoError
from profilephoto.domain.image_signature import SIGNATURE_BYTES, image_type
from profilephoto.domain.models import Identity
from profilephoto.domain.ports import ObjectStore
from profilephoto.entrypoints.aws_lambda import views
from profilephoto.entrypoints.aws_lambda.runtime import Binding
from profilephoto.entrypoints.library.views import Job, JobPage, Style, Usage

MAX_USER_ID = 128
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class WaitTimedOut(ProfilePhotoError, TimeoutError):
    """`wait` ran out of time before the job finished; the job goes on."""

    code = "wait_timed_out"
    default_message = "The job did not finish in time"


@dataclass
class Hosting:
    """What `asgi_app` needs beyond the use cases: the runtime its handlers bind to and the
    stores whose URLs the app itself serves (the local runtime's signed object URLs)."""

    binding: Binding
    served_stores: list[Any] = field(default_factory=list)
    webhook_secret: Callable[[], str] | None = None


class ProfilePhoto:
    """What `profilephoto.local()`, `aws()` and `memory()` give a host.

    `user_id` is whoever the host has authenticated; like the HTTP API, the app never takes
    it from anywhere else. Every method is safe to call from several threads at once.
    Errors are `profilephoto.ProfilePhotoError`s carrying the API's `code`.
    """

    def __init__(
        self, application: Application, uploads: ObjectStore, results: ObjectStore, hosting: Hosting
    ) -> None:
        self._app, self._uploads, self._results = application, uploads, results
        self._hosting = hosting

    def upload(self, user_id: str, data: bytes) -> str:
        """Store one photo (JPEG, PNG, WebP or HEIC; the type is read from the bytes) and
        return its file key for `generate`."""
        content_type = image_type(bytes(data[:SIGNATURE_BYTES]))
        if content_type is None:
            raise InvalidImage("The data is not a JPEG, PNG, WebP or HEIC image")
        extension = EXTENSIONS.get(content_type, "heic")
        request = UploadRequest(
            file_name=f"photo.{extension}", content_type=content_type, file_size=len(data)
        )
        ticket = self._app.uploads.request_upload(_who(user_id), request)
        self._uploads.write(ticket.file_key, bytes(data), content_type)
        return ticket.file_key

    def generate(
        self,
        user_id: str,
        file_key: str | Sequence[str],
        *,
        style: str = "professional",
        count: int = 1,
        aspect_ratio: str = "1:1",
        idempotency_key: str | None = None,
        webhook: str | None = None,
        webhook_events: Sequence[str] | None = None,
    ) -> Job:
        """Queue a job for one to three of the user's uploads (the main photo first); the
        job's units are charged only once it is queued. With `webhook`, its end is POSTed
        there, signed (`webhook_events`: which of completed, failed, canceled; default all)."""
        keys = [file_key] if isinstance(file_key, str) else list(file_key)
        request = GenerationRequest(
            keys[0] if len(keys) == 1 else None,
            style,
            file_keys=keys if len(keys) > 1 else None,
            count=count,
            aspect_ratio=aspect_ratio,
            idempotency_key=idempotency_key,
            webhook=webhook,
            webhook_events=list(webhook_events) if webhook_events is not None else None,
        )
        accepted = self._app.generation.request_generation(_who(user_id), request)
        return self.job(user_id, accepted.job_id)

    def job(self, user_id: str, job_id: str) -> Job:
        """The user's job as it is now; JobNotFound for another user's job."""
        details = self._app.queries.get_job(_who(user_id), job_id)
        return Job.model_validate(views.job_view(details).to_json())

    def wait(self, user_id: str, job_id: str, timeout: float = 120.0, poll: float = 0.1) -> Job:
        """The job once it has finished (completed, failed or canceled); WaitTimedOut when
        it has not after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not (job := self.job(user_id, job_id)).finished:
            if time.monotonic() >= deadline:
                raise WaitTimedOut(f"Job {job_id} is still {job.status} after {timeout} s")
            time.sleep(poll)
        return job

    def results(self, user_id: str, job_id: str) -> list[bytes]:
        """The images of a completed job, in `result_urls` order; [] before it completes."""
        keys = self._app.queries.result_keys(_who(user_id), job_id)
        return [self._results.read(key) for key in keys]

    def cancel(self, user_id: str, job_id: str) -> Job:
        """Cancel an unfinished job and give its units back; JobFinished when it has ended."""
        self._app.cancellation.cancel_job(_who(user_id), job_id)
        return self.job(user_id, job_id)

    def delete_job(self, user_id: str, job_id: str) -> None:
        """Delete a finished job with its photos and results; JobInProgress while it runs."""
        self._app.deletion.delete_job(_who(user_id), job_id)

    def delete_me(self, user_id: str) -> None:
        """Delete all the user's photos, results, jobs and record (today's usage stays)."""
        self._app.account.delete_account(_who(user_id))

    def usage(self, user_id: str) -> Usage:
        return Usage.model_validate(self._app.queries.get_usage(_who(user_id)).to_json_dict())

    def jobs(self, user_id: str, limit: int = 20, next_token: str | None = None) -> JobPage:
        """The user's jobs, newest first, a page at a time."""
        page = self._app.queries.list_jobs(_who(user_id), str(limit), next_token)
        return JobPage.model_validate(views.job_page_view(page).to_json())

    @property
    def webhook_secret(self) -> str:
        """The secret this runtime signs webhooks with (`whsec_...`), for a receiver to
        verify them: WEBHOOK_SECRET, else the local runtime's own (made once in its data
        directory), the AWS stack's (Secrets Manager, WEBHOOK_SECRET_ARN) or the memory
        runtime's fixed test secret."""
        if self._hosting.webhook_secret is None:
            raise InvalidRequest("This runtime does not sign webhooks")
        return self._hosting.webhook_secret()

    def styles(self) -> list[Style]:
        shown = views.styles_view(self._app.queries.list_styles()).to_json()["styles"]
        return [Style.model_validate(style) for style in shown]


def _who(user_id: str) -> Identity:
    """The user the host vouches for, held to the rule the HTTP API holds a token's `sub` to:
    object keys are built from it, so it must not reach into another user's prefix."""
    if (
        not isinstance(user_id, str)
        or not 0 < len(user_id) <= MAX_USER_ID
        or any(c in user_id for c in "/#?\\")
        or user_id.startswith("__")
    ):
        raise InvalidRequest("user_id must be 1-128 characters without / # ? \\ or a leading __")
    return Identity(user_id=user_id)
