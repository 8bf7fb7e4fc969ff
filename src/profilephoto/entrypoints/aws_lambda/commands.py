"""The REST API's request bodies as pydantic commands (docs/api.md §3): JSON types checked here,
business rules (owned keys, styles, sizes, quota) by the services they go to. The constraints
in `json_schema_extra` only describe those rules in docs/openapi.json; the services decide."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from profilephoto.domain.commands import GenerationRequest, UploadRequest
from profilephoto.domain.job_options import ASPECT_RATIOS, MAX_PHOTOS
from profilephoto.domain.models import WEBHOOK_EVENTS
from profilephoto.domain.pagination import MAX_TOKEN_LENGTH
from profilephoto.domain.styles import STYLES
from profilephoto.domain.upload_policy import (
    EXTENSIONS_BY_TYPE,
    KEY_PATTERN,
    MAX_FILE_NAME_LENGTH,
)
from profilephoto.domain.webhooks import MAX_URL_LENGTH
from profilephoto.settings import Settings

# The defaults of a deployment: a document is the same for every one (docs/api.md §1).
MAX_UPLOAD_BYTES: int = Settings.model_fields["max_upload_bytes"].default
MAX_VARIANTS: int = Settings.model_fields["max_variants"].default
# Named keys only: the user id inside the key is whatever the authorizer says.
_KEY = KEY_PATTERN.replace("(?P<user>", "(").replace("(?P<ext>", "(")


def _any_case(text: str) -> str:
    """A regular expression matching `text` in any letter case (JSON Schema has no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in text)


def _file_name_schema(schema: dict[str, Any]) -> None:
    """A name of printable characters ending in an extension of its content type."""
    schema["oneOf"] = [
        {
            "properties": {
                "contentType": {"const": content_type},
                "fileName": {
                    "pattern": r"^[^\u0000-\u001f\u007f]*\.("
                    + "|".join(_any_case(e) for e in extensions)
                    + ")$"
                },
            }
        }
        for content_type, extensions in EXTENSIONS_BY_TYPE.items()
    ]


class Command(BaseModel):
    """camelCase on the wire; strict JSON types ("5" is not a number); unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        strict=True,
        frozen=True,
        extra="ignore",
        defer_build=True,
    )


class UploadCommand(Command):
    """`POST /upload/presigned`: the photo a client is about to upload."""

    model_config = ConfigDict(json_schema_extra=_file_name_schema)

    file_name: str = Field(
        examples=["profile.jpg"],
        max_length=1024,
        json_schema_extra={"minLength": 1, "maxLength": MAX_FILE_NAME_LENGTH},
        description="its extension must be one of its content type's (docs/api.md §3.1)",
    )
    content_type: str = Field(
        examples=["image/jpeg"],
        max_length=255,
        json_schema_extra={"enum": list(EXTENSIONS_BY_TYPE)},
    )
    file_size: int = Field(
        examples=[1024000],
        description="bytes, 1 to MAX_UPLOAD_BYTES",
        json_schema_extra={"minimum": 1, "maximum": MAX_UPLOAD_BYTES},
    )

    def to_request(self) -> UploadRequest:
        return UploadRequest(
            file_name=self.file_name, content_type=self.content_type, file_size=self.file_size
        )


def _one_of_the_key_fields(schema: dict[str, Any]) -> None:
    # null is as good as absent (the optional fields all take null for their default).
    schema["oneOf"] = [
        {"required": ["fileKey"], "properties": {"fileKey": {"type": "string"}}},
        {"required": ["fileKeys"], "properties": {"fileKeys": {"type": "array"}}},
    ]


class GenerateCommand(Command):
    """`POST /generate`: which uploads to turn into profile photos, in which style."""

    model_config = ConfigDict(json_schema_extra=_one_of_the_key_fields)

    file_key: str | None = Field(
        default=None,
        examples=["uploads/USER_ID/1764400000000_0123456789abcdef0123456789abcdef.jpg"],
        max_length=1024,
        json_schema_extra={"pattern": _KEY},
        description="one of the caller's uploads (or `fileKeys`, not both)",
    )
    file_keys: list[str] | None = Field(
        default=None,
        description=f"1-{MAX_PHOTOS} of the caller's uploads, the main photo first",
        json_schema_extra={
            "minItems": 1,
            "maxItems": MAX_PHOTOS,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": _KEY},
        },
    )
    style: str = Field(
        examples=["professional"],
        max_length=64,
        json_schema_extra={"enum": [s.id for s in STYLES]},
    )
    connection_id: str | None = Field(
        default=None,
        max_length=128,
        description="accepted and ignored: every socket of the caller is told of the job",
    )
    count: int | None = Field(
        default=None,
        description="images to make, 1 to MAX_VARIANTS",
        json_schema_extra={"minimum": 1, "maximum": MAX_VARIANTS},
    )
    aspect_ratio: str | None = Field(default=None, json_schema_extra={"enum": list(ASPECT_RATIOS)})
    webhook: str | None = Field(
        default=None,
        examples=["https://example.com/hooks/profilephoto"],
        max_length=MAX_URL_LENGTH,
        json_schema_extra={"format": "uri", "pattern": "^https://"},
        description="an https URL POSTed a signed event when the job ends (docs/api.md, "
        '"Webhooks"); its host must resolve to public addresses',
    )
    webhook_events: list[str] | None = Field(
        default=None,
        description="which ends the webhook is told of; default all three",
        json_schema_extra={
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": [e.value for e in WEBHOOK_EVENTS]},
        },
    )

    def request(self, idempotency_key: str | None) -> GenerationRequest:
        """The domain's command (`connectionId` is not part of it: it changes nothing)."""
        return GenerationRequest(
            self.file_key,
            self.style,
            file_keys=self.file_keys,
            count=self.count,
            aspect_ratio=self.aspect_ratio,
            idempotency_key=idempotency_key,
            webhook=self.webhook,
            webhook_events=self.webhook_events,
        )


class ListJobsQuery(Command):
    """`GET /jobs`'s query string (parsed by the service; documented here)."""

    limit: int = Field(default=20, ge=1, le=100)
    next_token: str = Field(
        description="the `nextToken` of the previous page (opaque); empty: the first page",
        pattern=f"^[A-Za-z0-9_-]{{0,{MAX_TOKEN_LENGTH}}}$",
    )
