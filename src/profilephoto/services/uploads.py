"""Use case: hand out a presigned upload URL."""

from __future__ import annotations

from profilephoto.domain.commands import UploadRequest
from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import QuotaExceeded
from profilephoto.domain.models import Identity, UploadTicket
from profilephoto.domain.ports import Clock, IdGenerator, ObjectStore, UnitOfWork
from profilephoto.domain.quota import usage_today
from profilephoto.domain.upload_policy import upload_key, validate_upload


class UploadService:
    def __init__(
        self,
        uow: UnitOfWork,
        uploads: ObjectStore,
        clock: Clock,
        ids: IdGenerator,
        config: ServiceConfig,
    ) -> None:
        self._uow, self._uploads, self._clock, self._ids = uow, uploads, clock, ids
        self._config = config

    def request_upload(self, identity: Identity, request: UploadRequest) -> UploadTicket:
        """Validate the request and presign a PUT; 429 first if nothing is left today."""
        valid = validate_upload(request, self._config.max_upload_bytes)
        now = self._clock.now()
        user = self._uow.users.record_login(identity, now)
        day, usage = usage_today(self._uow.usage, identity.user_id, user, now, self._config)
        if usage.remaining_quota == 0:
            raise QuotaExceeded(retry_after=day.seconds_until_reset(now))
        key = upload_key(identity.user_id, valid.extension, now, self._ids.unique())
        expires_in = self._config.upload_url_expiration
        presigned = self._uploads.presign_upload(
            key, valid.content_type, expires_in, valid.file_size
        )
        return UploadTicket(
            upload_url=presigned.url,
            method=presigned.method,
            file_key=key,
            expires_in=expires_in,
            headers=presigned.headers,
        )
