"""Runtime configuration from the environment (docs/api.md §1), read once per cold start."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from profilephoto.adapters.gemini_input import InputPolicy, MediaResolution
from profilephoto.adapters.gemini_pricing import PriceTable
from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import InvalidRequest
from profilephoto.domain.likeness import DEFAULT_MIN, LikenessPolicy
from profilephoto.domain.photo_check import PhotoThresholds
from profilephoto.domain.quota import load_zone


class ConfigurationError(RuntimeError):
    """Bad configuration: the message names the variable, so a cold start says what to fix."""


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseModel):
    """Every variable the code reads. Canonical names win over the original hyphenated ones.

    A plain model over `os.environ` (see load_settings) rather than pydantic-settings: that
    package's import costs as much CPU as boto3's, at every cold start of every function.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    upload_bucket: str | None = Field(None, validation_alias=_env("UPLOAD_BUCKET"))
    result_bucket: str | None = Field(None, validation_alias=_env("RESULT_BUCKET"))
    presigned_url_expiration: int = Field(
        3600, ge=1, le=7 * 24 * 3600, validation_alias=_env("PRESIGNED_URL_EXPIRATION")
    )
    result_url_expiration: int = Field(
        3600, ge=1, le=7 * 24 * 3600, validation_alias=_env("RESULT_URL_EXPIRATION")
    )
    max_upload_bytes: int = Field(10_485_760, ge=1, validation_alias=_env("MAX_UPLOAD_BYTES"))
    sqs_queue_url: str | None = Field(None, validation_alias=_env("SQS_QUEUE_URL"))
    users_table: str = Field(
        "Users", validation_alias=_env("USERS_TABLE", "ProfilePhotoAI-Users-Table")
    )
    usage_table: str = Field(
        "UsageLog", validation_alias=_env("USAGE_TABLE", "ProfilePhotoAI-UsageLog-Table")
    )
    jobs_table: str = Field(
        "ImageJobs", validation_alias=_env("JOBS_TABLE", "ProfilePhotoAI-ImageJobs-Table")
    )
    connections_table: str = Field("Connections", validation_alias=_env("CONNECTIONS_TABLE"))
    daily_limit: int = Field(10, ge=0, validation_alias=_env("DAILY_LIMIT"))
    global_daily_limit: int = Field(0, ge=0, validation_alias=_env("GLOBAL_DAILY_LIMIT"))
    result_retention_days: int = Field(30, ge=0, validation_alias=_env("RESULT_RETENTION_DAYS"))
    quota_timezone: str = Field("UTC", validation_alias=_env("QUOTA_TIMEZONE"))
    gemini_api_key: str | None = Field(None, validation_alias=_env("GEMINI_API_KEY"), repr=False)
    # On AWS the key stays in SSM Parameter Store (SecureString); only the worker reads it.
    gemini_api_key_parameter: str | None = Field(
        None, validation_alias=_env("GEMINI_API_KEY_PARAMETER")
    )
    model_name: str = Field(
        "gemini-nano-banana-2.1", min_length=1, validation_alias=_env("MODEL_NAME")
    )
    model_fallbacks: str = Field(
        "gemini-3.1-flash-image,gemini-3-pro-image", validation_alias=_env("MODEL_FALLBACKS")
    )
    # Each model offers its own sizes (adapters/gemini_models.py): checked with the models.
    image_size: Literal["512", "1K", "2K", "4K"] = Field("1K", validation_alias=_env("IMAGE_SIZE"))
    # The AI label (docs/api.md, "AI-generated label"): `off` writes XMP only.
    c2pa_signing: Literal["auto", "off"] = Field("auto", validation_alias=_env("C2PA_SIGNING"))
    c2pa_secret_arn: str | None = Field(None, validation_alias=_env("C2PA_SECRET_ARN"))
    max_variants: int = Field(4, ge=1, le=10, validation_alias=_env("MAX_VARIANTS"))
    # The offline stylizer answers no sooner than this, so a cancel can be tried by hand.
    offline_delay_seconds: float = Field(
        0.0, ge=0, le=600, validation_alias=_env("OFFLINE_DELAY_SECONDS")
    )
    websocket_endpoint: str | None = Field(None, validation_alias=_env("WEBSOCKET_ENDPOINT"))
    allowed_origins: str = Field("*", validation_alias=_env("ALLOWED_ORIGINS"))
    # The Cognito user pool whose tokens the WebSocket authorizer accepts (docs/api.md §1).
    cognito_issuer: str | None = Field(None, validation_alias=_env("COGNITO_ISSUER"))
    cognito_app_client_ids: str = Field("", validation_alias=_env("COGNITO_APP_CLIENT_IDS"))
    # Beyond the original design's variables, each with a safe default (docs/api.md §1).
    max_attempts: int = Field(3, ge=1, le=20, validation_alias=_env("MAX_ATTEMPTS"))
    processing_lease_seconds: int = Field(
        300, ge=10, validation_alias=_env("PROCESSING_LEASE_SECONDS")
    )
    stuck_after_seconds: int = Field(900, ge=60, validation_alias=_env("STUCK_AFTER_SECONDS"))
    # How long a warm AWS host trusts the Users record it wrote at a login: lastLoginAt, a
    # changed dailyLimit and the claims may be this stale on that host. 0 = no cache.
    user_cache_seconds: float = Field(
        300.0, ge=0, le=3600, validation_alias=_env("USER_CACHE_SECONDS")
    )
    # png keeps the model's pixels exactly (its watermark too); jpeg and webp re-encode once.
    result_format: Literal["png", "jpeg", "webp"] = Field(
        "png", validation_alias=_env("RESULT_FORMAT")
    )
    # Each photo's pixel size follows its media resolution (docs/gemini.md, "Input policy").
    photo_media_resolution: MediaResolution = Field(
        MediaResolution.HIGH, validation_alias=_env("PHOTO_MEDIA_RESOLUTION")
    )
    reference_media_resolution: MediaResolution = Field(
        MediaResolution.MEDIUM, validation_alias=_env("REFERENCE_MEDIA_RESOLUTION")
    )
    # JSON laid over the built-in price table (adapters/gemini_pricing.py), dollars per 1M tokens.
    model_prices: str | None = Field(None, validation_alias=_env("MODEL_PRICES"))
    # Lambda sets its function's memory; locally it stands for the worker's memory.
    function_memory_mb: int = Field(
        1024, ge=128, validation_alias=_env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    )
    decode_memory_mb: int | None = Field(None, ge=16, validation_alias=_env("DECODE_MEMORY_MB"))
    gemini_timeout_seconds: float = Field(
        60.0, gt=0, validation_alias=_env("GEMINI_TIMEOUT_SECONDS")
    )
    quality_check: Literal["on", "off"] = Field("on", validation_alias=_env("QUALITY_CHECK"))
    # Webhooks (docs/api.md, "Webhooks"): the signing secret (locally, one is made in the
    # data directory when unset; on AWS the Secrets Manager secret WEBHOOK_SECRET_ARN),
    # the deliveries' own queue, and whether private addresses (and http) may be called.
    webhook_secret: str | None = Field(None, validation_alias=_env("WEBHOOK_SECRET"), repr=False)
    webhook_secret_arn: str | None = Field(None, validation_alias=_env("WEBHOOK_SECRET_ARN"))
    webhook_queue_url: str | None = Field(None, validation_alias=_env("WEBHOOK_QUEUE_URL"))
    webhook_allow_private: Literal["on", "off"] = Field(
        "off", validation_alias=_env("WEBHOOK_ALLOW_PRIVATE")
    )
    # The photo check's limits (docs/api.md, "Photo check"); the defaults are a start.
    photo_dark_image_luma: float = Field(
        35.0, ge=0, le=255, validation_alias=_env("PHOTO_CHECK_DARK_IMAGE_LUMA")
    )
    photo_bright_image_luma: float = Field(
        225.0, ge=0, le=255, validation_alias=_env("PHOTO_CHECK_BRIGHT_IMAGE_LUMA")
    )
    photo_second_face_ratio: float = Field(
        0.6, gt=0, validation_alias=_env("PHOTO_CHECK_SECOND_FACE_RATIO")
    )
    photo_min_face_side: float = Field(
        64.0, ge=0, validation_alias=_env("PHOTO_CHECK_MIN_FACE_SIDE")
    )
    photo_dark_face_luma: float = Field(
        55.0, ge=0, le=255, validation_alias=_env("PHOTO_CHECK_DARK_FACE_LUMA")
    )
    photo_bright_face_share: float = Field(
        0.5, gt=0, le=1, validation_alias=_env("PHOTO_CHECK_BRIGHT_FACE_SHARE")
    )
    photo_min_sharpness: float = Field(
        0.04, ge=0, validation_alias=_env("PHOTO_CHECK_MIN_SHARPNESS")
    )

    # The likeness check after the model (docs/api.md, "Likeness").
    likeness_check: Literal["on", "off"] = Field("on", validation_alias=_env("LIKENESS_CHECK"))
    likeness_min: float = Field(DEFAULT_MIN, ge=-1, le=1, validation_alias=_env("LIKENESS_MIN"))
    likeness_retries: int = Field(1, ge=0, le=3, validation_alias=_env("LIKENESS_RETRIES"))

    @field_validator("quota_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            load_zone(value)
        except InvalidRequest as exc:
            raise ValueError(exc.message) from exc
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_form(cls, value: str | None) -> str | None:
        from profilephoto.adapters.webhooks.secret import check_secret

        return None if not value else check_secret(value)

    @field_validator("model_prices")
    @classmethod
    def _prices_parse(cls, value: str | None) -> str | None:
        try:
            PriceTable().with_overrides(value)
        except InvalidRequest as exc:
            raise ValueError(exc.message) from exc
        return value

    @model_validator(mode="after")
    def _sizes_offered(self) -> Settings:
        from profilephoto.adapters.gemini_models import size_refusals

        named = [("MODEL_NAME", self.model_name)] + [("MODEL_FALLBACKS", m) for m in self.fallbacks]
        refusals = size_refusals(self.image_size, named)
        if refusals:
            raise ValueError("; ".join(refusals))
        return self

    @property
    def fallbacks(self) -> list[str]:
        """MODEL_FALLBACKS in order, without blanks or repeats of MODEL_NAME."""
        names = [n.strip() for n in self.model_fallbacks.split(",") if n.strip()]
        return [n for i, n in enumerate(names) if n != self.model_name and n not in names[:i]]

    @property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    def require(self, *names: str) -> None:
        """Fail unless each named setting is set (the AWS runtime needs its buckets, queue)."""
        missing = [n.upper() for n in names if not getattr(self, n)]
        if missing:
            raise ConfigurationError(
                f"missing required environment variable(s): {', '.join(missing)}"
            )

    def service_config(self) -> ServiceConfig:
        return ServiceConfig(
            max_upload_bytes=self.max_upload_bytes,
            upload_url_expiration=self.presigned_url_expiration,
            result_url_expiration=self.result_url_expiration,
            daily_limit=self.daily_limit,
            max_variants=self.max_variants,
            global_daily_limit=self.global_daily_limit,
            result_retention_days=self.result_retention_days,
            quota_zone=load_zone(self.quota_timezone),
            processing_lease=timedelta(seconds=self.processing_lease_seconds),
            max_attempts=self.max_attempts,
            stuck_after=timedelta(seconds=self.stuck_after_seconds),
            photo_check=self.photo_thresholds(),
            likeness=(
                None
                if self.likeness_check == "off"
                else LikenessPolicy(min_score=self.likeness_min, retries=self.likeness_retries)
            ),
            main_photo_side=self.input_policy().long_side(0),
            reference_photo_side=self.input_policy().long_side(1),
            webhook_allow_private=self.webhook_allow_private == "on",
        )

    def input_policy(self) -> InputPolicy:
        """Each photo's media resolution for Gemini, which also sets its pixel size."""
        return InputPolicy(
            main=self.photo_media_resolution, references=self.reference_media_resolution
        )

    def price_table(self) -> PriceTable:
        """The built-in price table with MODEL_PRICES laid over it."""
        return PriceTable().with_overrides(self.model_prices)

    def photo_thresholds(self) -> PhotoThresholds | None:
        """The photo check's limits, or None when QUALITY_CHECK=off."""
        if self.quality_check == "off":
            return None
        return PhotoThresholds(
            dark_image_luma=self.photo_dark_image_luma,
            bright_image_luma=self.photo_bright_image_luma,
            second_face_ratio=self.photo_second_face_ratio,
            min_face_side=self.photo_min_face_side,
            dark_face_p95=self.photo_dark_face_luma,
            bright_face_share=self.photo_bright_face_share,
            min_sharpness=self.photo_min_sharpness,
        )


def load_settings(**overrides: object) -> Settings:
    """Read the environment; a malformed variable raises ConfigurationError naming it."""
    try:
        return Settings.model_validate({**os.environ, **overrides})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from exc
