"""Which uploads are accepted, the keys they are stored under, and who owns a key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from profilephoto.domain.commands import UploadRequest
from profilephoto.domain.errors import (
    ExtensionMismatch,
    FileTooLarge,
    Forbidden,
    InvalidRequest,
    UnsupportedType,
)

EXTENSIONS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("jpg", "jpeg", "jfif", "jpe"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "image/heic": ("heic",),
    "image/heif": ("heif", "heic"),
}
MAX_FILE_NAME_LENGTH = 255
# Keys we issue: uploads/{userId}/{epoch millis}_{32 hex}.{ext}; nothing else is ours.
KEY_PATTERN = r"^uploads/(?P<user>[^/]+)/\d{13}_[0-9a-f]{32}\.(?P<ext>[a-z]{3,4})$"
_KEY_PATTERN = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class ValidUpload:
    file_name: str
    content_type: str
    file_size: int
    extension: str


def validate_upload(request: UploadRequest, max_bytes: int) -> ValidUpload:
    """Check a presign request against docs/api.md §3.1; raise the matching 400 error."""
    file_name, content_type, size = request.file_name, request.content_type, request.file_size
    if not isinstance(file_name, str) or not file_name.strip():
        raise InvalidRequest("fileName is required")
    if len(file_name) > MAX_FILE_NAME_LENGTH or any(ord(c) < 32 or c == "\x7f" for c in file_name):
        raise InvalidRequest("fileName must be at most 255 printable characters")
    if not isinstance(content_type, str) or not content_type:
        raise InvalidRequest("contentType is required")
    normalized_type = content_type.strip().lower()
    if normalized_type not in EXTENSIONS_BY_TYPE:
        raise UnsupportedType(
            f"contentType must be one of {', '.join(EXTENSIONS_BY_TYPE)}",
            allowedTypes=list(EXTENSIONS_BY_TYPE),
        )
    base_name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    extension = base_name.rsplit(".", 1)[-1].lower() if "." in base_name else ""
    if extension not in EXTENSIONS_BY_TYPE[normalized_type]:
        raise ExtensionMismatch(
            f"A {normalized_type} file must be named "
            + " or ".join(f".{e}" for e in EXTENSIONS_BY_TYPE[normalized_type])
        )
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidRequest("fileSize must be a positive integer number of bytes")
    if size > max_bytes:
        raise FileTooLarge(f"fileSize must be at most {max_bytes} bytes", maxBytes=max_bytes)
    return ValidUpload(base_name, normalized_type, size, extension)


def upload_key(user_id: str, extension: str, now: datetime, unique: str) -> str:
    """`uploads/{userId}/{timestamp}_{uuid}.{ext}`: nothing of the file name but its extension."""
    return f"uploads/{user_id}/{int(now.timestamp() * 1000):013d}_{unique}.{extension}"


def check_key_owner(file_key: str | None, user_id: str) -> str:
    """Return the key if it is one we issued to this user; 400 if malformed, 403 if not theirs."""
    if not isinstance(file_key, str) or not file_key:
        raise InvalidRequest("fileKey is required")
    match = _KEY_PATTERN.match(file_key)
    if match is None:
        if file_key.startswith(f"uploads/{user_id}/") and ".." not in file_key:
            raise InvalidRequest("fileKey is not a key issued by POST /upload/presigned")
        raise Forbidden("fileKey does not belong to you")
    if match.group("user") != user_id:
        raise Forbidden("fileKey does not belong to you")
    return file_key


def result_prefix(user_id: str, job_id: str) -> str:
    """The folder of every image of one job, and of nothing else."""
    return f"results/{user_id}/{job_id}/"


def result_key(user_id: str, job_id: str, variant: int, extension: str) -> str:
    """Where a job's `variant`-th image lives; one key per image of a job, so a duplicate run
    overwrites, never adds."""
    return f"{result_prefix(user_id, job_id)}{variant}.{extension}"
