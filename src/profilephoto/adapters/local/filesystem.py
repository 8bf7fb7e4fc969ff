"""A bucket as a directory, with HMAC-signed URLs served by the local server."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from profilephoto.adapters.local.url_signing import Grant, UrlSigner
from profilephoto.domain.errors import InvalidRequest, ObjectNotFound, ServiceUnavailable
from profilephoto.domain.models import (
    UPLOAD_ENCRYPTION,
    UPLOAD_ENCRYPTION_HEADER,
    ObjectInfo,
    PresignedRequest,
)

DEFAULT_CONTENT_TYPE = "application/octet-stream"


class FilesystemObjectStore:
    """Objects under `root/bucket/objects/`, their content types under `root/bucket/meta/`."""

    def __init__(
        self,
        root: Path | str,
        bucket: str,
        base_url: str,
        signing_key: bytes,
    ) -> None:
        if not bucket or bucket in (".", "..") or any(c in bucket for c in "/\\\x00"):
            raise ValueError(f"bucket name {bucket!r} is not a plain directory name")
        self.bucket = bucket
        self._objects = Path(root).resolve() / bucket / "objects"
        self._meta = Path(root).resolve() / bucket / "meta"
        self._signer = UrlSigner(signing_key, base_url)

    # --- the ObjectStore port --------------------------------------------------------

    def uri(self, key: str) -> str:
        return f"local://{self.bucket}/{key}"

    def presign_upload(
        self, key: str, content_type: str, expires_in: int, size: int
    ) -> PresignedRequest:
        _check_key(key)
        grant = Grant("PUT", self.bucket, key, _expiry(expires_in), content_type, size)
        return PresignedRequest(
            url=self._signer.url(grant),
            method="PUT",
            headers={"Content-Type": content_type, UPLOAD_ENCRYPTION_HEADER: UPLOAD_ENCRYPTION},
        )

    def presign_download(self, key: str, expires_in: int) -> str:
        _check_key(key)
        return self._signer.url(Grant("GET", self.bucket, key, _expiry(expires_in)))

    def peek(self, key: str, length: int) -> ObjectInfo | None:
        data, meta = self._paths(key)
        with _unavailable():
            try:
                with data.open("rb") as handle:
                    found = os.fstat(handle.fileno())
                    if not stat.S_ISREG(found.st_mode):
                        return None
                    first = handle.read(length)
            except (FileNotFoundError, IsADirectoryError):
                return None  # none, or a "folder" of longer keys, not an object
            return ObjectInfo(
                key=key,
                size=found.st_size,
                content_type=_content_type(meta),
                first_bytes=first,
            )

    def read(self, key: str) -> bytes:
        data, _ = self._paths(key)
        with _unavailable():
            try:
                return data.read_bytes()
            except (FileNotFoundError, IsADirectoryError) as missing:
                raise ObjectNotFound(f"no object {key}") from missing

    def write(self, key: str, data: bytes, content_type: str) -> None:
        data_path, meta_path = self._paths(key)
        with _unavailable():
            # The type goes first: a reader that finds the new bytes also finds their type.
            _atomic_write(meta_path, json.dumps({"contentType": content_type}).encode())
            _atomic_write(data_path, data)

    def delete(self, key: str) -> None:
        data, meta = self._paths(key)
        with _unavailable():
            data.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)

    def delete_prefix(self, prefix: str, keep: Collection[str] = ()) -> int:
        folder, _ = self._paths(prefix.rstrip("/"))
        with _unavailable():
            keys = [
                path.relative_to(self._objects.resolve()).as_posix()
                for path in (folder.rglob("*") if folder.is_dir() else ())
                if path.is_file()
            ]
            doomed = [key for key in keys if key.startswith(prefix) and key not in keep]
            for key in doomed:
                self.delete(key)
        return len(doomed)

    # --- what the local server calls -------------------------------------------------

    def verify(
        self,
        method: str,
        key: str,
        query: Mapping[str, str],
        content_type: str | None = None,
        length: int | None = None,
        now: datetime | None = None,
    ) -> Grant:
        """Check a request on a presigned URL of this bucket; see UrlSigner.verify."""
        return self._signer.verify(
            method, self.bucket, key, query, content_type, length, now or datetime.now(UTC)
        )

    def accept_upload(
        self,
        key: str,
        query: Mapping[str, str],
        content_type: str | None,
        body: bytes,
        now: datetime | None = None,
    ) -> None:
        """Verify a presigned PUT against its real body, then store it."""
        grant = self.verify("PUT", key, query, content_type, len(body), now)
        self.write(key, body, grant.content_type or content_type or DEFAULT_CONTENT_TYPE)

    def serve_download(
        self, key: str, query: Mapping[str, str], now: datetime | None = None
    ) -> tuple[bytes, str]:
        """Verify a presigned GET; the object's bytes and type, or ObjectNotFound."""
        self.verify("GET", key, query, now=now)
        data = self.read(key)
        return data, _content_type(self._paths(key)[1]) or DEFAULT_CONTENT_TYPE

    # --- paths -----------------------------------------------------------------------

    def _paths(self, key: str) -> tuple[Path, Path]:
        _check_key(key)
        data = (self._objects / key).resolve()
        meta = (self._meta / f"{key}.json").resolve()
        # Belt and braces after _check_key: a symlink inside the bucket must not lead out.
        if not (data.is_relative_to(self._objects) and meta.is_relative_to(self._meta)):
            raise InvalidRequest("The object key is not valid")
        return data, meta


def _check_key(key: str) -> None:
    """S3 allows nearly any key; a directory tree must refuse ones that would escape it."""
    parts = key.split("/")
    if (
        not key
        or len(key.encode()) > 1024
        or key.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
        or any(ord(c) < 32 or c in "\\\x7f" for c in key)
    ):
        raise InvalidRequest("The object key is not valid")


def _expiry(expires_in: int) -> int:
    return int(time.time()) + int(expires_in)


def _content_type(meta: Path) -> str | None:
    try:
        value = json.loads(meta.read_bytes()).get("contentType")
    except FileNotFoundError:
        return None
    return str(value) if value else None


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextmanager
def _unavailable() -> Iterator[None]:
    """The one place filesystem errors become the domain's."""
    try:
        yield
    except (OSError, ValueError) as error:
        raise ServiceUnavailable(f"local object store error: {error}") from error
