"""The knobs the use cases obey, independent of where they are read from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from profilephoto.domain.likeness import LikenessPolicy
from profilephoto.domain.photo_check import PhotoThresholds


@dataclass(frozen=True)
class ServiceConfig:
    max_upload_bytes: int = 10 * 1024 * 1024
    upload_url_expiration: int = 3600
    result_url_expiration: int = 3600
    daily_limit: int = 10
    # Most images one POST /generate may ask for (`count`, docs/api.md §3.2).
    max_variants: int = 4
    # Generations per UTC day across all users (GLOBAL_DAILY_LIMIT); 0 = no cap.
    global_daily_limit: int = 0
    # Days a job and its results are kept (RESULT_RETENTION_DAYS); 0 = keep forever.
    result_retention_days: int = 30
    quota_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    # A worker holds a job this long; a redelivered message may re-claim it afterwards.
    processing_lease: timedelta = timedelta(minutes=5)
    # Claims of one job (model attempts) before it is failed and refunded; a delivery the
    # fleet's pause hands back uncalled is not one (SQS maxReceiveCount stays above it).
    max_attempts: int = 3
    # Idempotency-Key replays are honoured this long (docs/api.md §3.2).
    idempotency_window: timedelta = timedelta(hours=24)
    # The reconciler's deadline for a job that never reached the queue or a worker.
    stuck_after: timedelta = timedelta(minutes=15)
    # The photo check's limits (QUALITY_CHECK=on); None when photos are not checked.
    photo_check: PhotoThresholds | None = field(default_factory=PhotoThresholds)
    # The likeness check's bar and retries (LIKENESS_CHECK=on); None when results are not
    # compared with the user's photos.
    likeness: LikenessPolicy | None = field(default_factory=LikenessPolicy)
    # The longest side, in pixels, of the main photo and of each further photo as the model
    # gets them (what Gemini's media resolutions can use: adapters/gemini_input.py).
    main_photo_side: int = 1024
    reference_photo_side: int = 768
    # Webhooks may reach loopback, private and link-local addresses, and use http
    # (WEBHOOK_ALLOW_PRIVATE=on: a developer's machine, never a deployment).
    webhook_allow_private: bool = False

    def photo_side(self, index: int) -> int:
        """The longest side photo `index` (0 = the main photo) is shrunk to."""
        return self.main_photo_side if index == 0 else self.reference_photo_side
