"""The REST API's request bodies as pydantic commands (docs/api.md §3): JSON types checked here,
business rules (owned keys, styles, sizes, quota) by the services they go to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from profilephoto.domain.models import UploadRequest


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

    file_name: str = Field(examples=["profile.jpg"], max_length=1024)
    content_type: str = Field(examples=["image/jpeg"], max_length=255)
    file_size: int = Field(examples=[1024000], description="bytes, 1 to MAX_UPLOAD_BYTES")

    def to_request(self) -> UploadRequest:
        return UploadRequest(
            file_name=self.file_name, content_type=self.content_type, file_size=self.file_size
        )


class GenerateCommand(Command):
    """`POST /generate`: which upload to turn into a profile photo, in which style."""

    file_key: str | None = Field(
        default=None, examples=["uploads/USER_ID/1764400000000_1a2b.jpg"], max_length=1024
    )
    file_keys: list[str] | None = Field(
        default=None, description="1-3 of the caller's uploads, the main photo first"
    )
    style: str = Field(examples=["professional"], max_length=64)
    connection_id: str | None = Field(default=None, max_length=128)
    count: int | None = Field(default=None, description="images to make, 1 to MAX_VARIANTS")
    aspect_ratio: str | None = Field(default=None, examples=["1:1", "4:5", "3:4", "2:3", "9:16"])
