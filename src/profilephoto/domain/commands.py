"""What callers ask the use cases for, typed at the edge; the services check the rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass


@dataclass(frozen=True)
class GenerationRequest:
    """A `POST /generate` (docs/api.md §3.2): its JSON types already checked by the edge
    that built it; ownership of the keys, the style, `count`, `aspectRatio` and the webhook
    (docs/api.md §4.9) are checked by the generation service."""

    file_key: str | None  # one upload, or None with `file_keys`
    style: str
    _: KW_ONLY
    file_keys: Sequence[str] | None = None  # 1-3 uploads, the main photo first
    count: int | None = None  # None: one image
    aspect_ratio: str | None = None  # None: square
    idempotency_key: str | None = None
    webhook: str | None = None  # where the job's end is POSTed, signed
    webhook_events: Sequence[str] | None = None  # None: completed, failed and canceled


@dataclass(frozen=True)
class UploadRequest:
    """A `POST /upload/presigned` (docs/api.md §3.1), typed at the edge; the upload policy
    checks the rules (and the types again, for a Python host)."""

    file_name: str
    content_type: str
    file_size: int
