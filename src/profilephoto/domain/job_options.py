"""What a generation asks for beyond its style: which photos, how many images, what shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import InvalidRequest
from profilephoto.domain.upload_policy import check_key_owner

# docs/api.md §3.2: the shapes a profile needs (LinkedIn square, Instagram 4:5, stories 9:16).
ASPECT_RATIOS = ("1:1", "4:5", "3:4", "2:3", "9:16")
DEFAULT_ASPECT_RATIO = "1:1"
MAX_PHOTOS = 3


@dataclass(frozen=True)
class JobOptions:
    file_keys: tuple[str, ...]  # the caller's own uploads, the main photo first
    count: int = 1
    aspect_ratio: str = DEFAULT_ASPECT_RATIO

    @property
    def main_key(self) -> str:
        return self.file_keys[0]

    @property
    def is_default(self) -> bool:
        """One photo, one image, square: what a request of the original API asks for."""
        return (
            len(self.file_keys) == 1
            and self.count == 1
            and self.aspect_ratio == DEFAULT_ASPECT_RATIO
        )


def parse_options(user_id: str, request: GenerationRequest, *, max_variants: int) -> JobOptions:
    """The request's photos, count and aspect ratio, checked (docs/api.md §3.2).

    `fileKey` alone is one photo; `fileKeys` is 1-3 distinct keys; both, an empty list, more
    than three or a duplicate are InvalidRequest. Each key is checked as `fileKey` always
    was (InvalidRequest when malformed, Forbidden when not the caller's).
    """
    file_keys = request.file_keys
    if file_keys is None:
        keys: tuple[str, ...] = (check_key_owner(request.file_key, user_id),)
    elif request.file_key is not None:
        raise InvalidRequest("Send fileKey or fileKeys, not both")
    elif not isinstance(file_keys, list | tuple) or not 1 <= len(file_keys) <= MAX_PHOTOS:
        raise InvalidRequest(f"fileKeys must be a list of 1 to {MAX_PHOTOS} upload keys")
    else:
        keys = tuple(check_key_owner(key, user_id) for key in file_keys)
        if len(set(keys)) != len(keys):
            raise InvalidRequest("fileKeys must not repeat a photo")
    count = _count(request.count, max_variants)
    return JobOptions(keys, count, _aspect_ratio(request.aspect_ratio))


def _count(raw: int | None, max_variants: int) -> int:
    if raw is None:
        return 1
    # The types are checked again: a Python host may pass anything (the HTTP edge cannot).
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= max_variants:
        raise InvalidRequest(f"count must be an integer from 1 to {max_variants}")
    return raw


def _aspect_ratio(raw: str | None) -> str:
    if raw is None:
        return DEFAULT_ASPECT_RATIO
    if not isinstance(raw, str) or raw not in ASPECT_RATIOS:
        raise InvalidRequest(f"aspectRatio must be one of {', '.join(ASPECT_RATIOS)}")
    return raw


def message_extras(options: JobOptions) -> dict[str, Any]:
    """The queue message's optional fields: only what differs from the defaults."""
    extras: dict[str, Any] = {}
    if len(options.file_keys) > 1:
        extras["file_keys"] = list(options.file_keys)
    if options.count != 1:
        extras["count"] = options.count
    if options.aspect_ratio != DEFAULT_ASPECT_RATIO:
        extras["aspect_ratio"] = options.aspect_ratio
    return extras
