"""profilephoto: a hexagonal backend for AI profile photos.

Hosts use `local()`, `aws()` or `memory()` (each a context manager giving a `ProfilePhoto`),
`asgi_app()` to serve the HTTP API, and catch `ProfilePhotoError` (docs/embedding.md).
The rest loads on first use: a Lambda handler importing the package pays for none of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from profilephoto.domain.errors import (
    AccountDeleting,
    CapacityExhausted,
    ContentBlocked,
    ExtensionMismatch,
    FileTooLarge,
    Forbidden,
    GenerationFailed,
    IdempotencyConflict,
    InvalidImage,
    InvalidRequest,
    JobFinished,
    JobInProgress,
    JobNotFound,
    ProfilePhotoError,
    QueueUnavailable,
    QuotaExceeded,
    ServiceUnavailable,
    Unauthorized,
    UnknownStyle,
    UnsupportedType,
    UploadNotFound,
)

if TYPE_CHECKING:
    from profilephoto.domain.models import JobStatus
    from profilephoto.entrypoints.asgi import asgi_app
    from profilephoto.entrypoints.library.app import ProfilePhoto, WaitTimedOut
    from profilephoto.entrypoints.library.runtimes import aws, local, memory
    from profilephoto.entrypoints.library.views import Job, JobError, JobPage, Style, Usage
    from profilephoto.settings import Settings, load_settings

__version__ = "0.1.0"

_LAZY = {
    "local": "profilephoto.entrypoints.library.runtimes",
    "aws": "profilephoto.entrypoints.library.runtimes",
    "memory": "profilephoto.entrypoints.library.runtimes",
    "asgi_app": "profilephoto.entrypoints.asgi",
    "ProfilePhoto": "profilephoto.entrypoints.library.app",
    "WaitTimedOut": "profilephoto.entrypoints.library.app",
    "Job": "profilephoto.entrypoints.library.views",
    "JobError": "profilephoto.entrypoints.library.views",
    "JobPage": "profilephoto.entrypoints.library.views",
    "Style": "profilephoto.entrypoints.library.views",
    "Usage": "profilephoto.entrypoints.library.views",
    "JobStatus": "profilephoto.domain.models",
    "Settings": "profilephoto.settings",
    "load_settings": "profilephoto.settings",
}

__all__ = [
    "AccountDeleting",
    "CapacityExhausted",
    "ContentBlocked",
    "ExtensionMismatch",
    "FileTooLarge",
    "Forbidden",
    "GenerationFailed",
    "IdempotencyConflict",
    "InvalidImage",
    "InvalidRequest",
    "Job",
    "JobError",
    "JobFinished",
    "JobInProgress",
    "JobNotFound",
    "JobPage",
    "JobStatus",
    "ProfilePhoto",
    "ProfilePhotoError",
    "QueueUnavailable",
    "QuotaExceeded",
    "ServiceUnavailable",
    "Settings",
    "Style",
    "Unauthorized",
    "UnknownStyle",
    "UnsupportedType",
    "UploadNotFound",
    "Usage",
    "WaitTimedOut",
    "asgi_app",
    "aws",
    "load_settings",
    "local",
    "memory",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'profilephoto' has no attribute {name!r}")
