"""A dict of objects standing in for one private bucket."""

from __future__ import annotations

import threading
from collections.abc import Collection
from urllib.parse import quote

from profilephoto.adapters.memory.faults import FaultInjector
from profilephoto.domain.errors import ObjectNotFound
from profilephoto.domain.models import (
    UPLOAD_ENCRYPTION,
    UPLOAD_ENCRYPTION_HEADER,
    ObjectInfo,
    PresignedRequest,
)


class InMemoryObjectStore(FaultInjector):
    def __init__(self, bucket: str = "memory-bucket") -> None:
        super().__init__()
        self.bucket = bucket
        self.objects: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def uri(self, key: str) -> str:
        return f"memory://{self.bucket}/{key}"

    def presign_upload(
        self, key: str, content_type: str, expires_in: int, size: int
    ) -> PresignedRequest:
        return PresignedRequest(
            url=f"memory://{self.bucket}/{quote(key)}?expires={expires_in}&size={size}",
            method="PUT",
            headers={"Content-Type": content_type, UPLOAD_ENCRYPTION_HEADER: UPLOAD_ENCRYPTION},
        )

    def peek(self, key: str, length: int) -> ObjectInfo | None:
        self._maybe_fail("peek")
        with self._lock:
            found = self.objects.get(key)
        if found is None:
            return None
        data, content_type = found
        return ObjectInfo(
            key=key, size=len(data), content_type=content_type, first_bytes=data[:length]
        )

    def read(self, key: str) -> bytes:
        self._maybe_fail("read")
        with self._lock:
            found = self.objects.get(key)
        if found is None:
            raise ObjectNotFound(f"no object {key}")
        return found[0]

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self._maybe_fail("write")
        with self._lock:
            self.objects[key] = (bytes(data), content_type)

    def presign_download(self, key: str, expires_in: int) -> str:
        return f"memory://{self.bucket}/{quote(key)}?expires={expires_in}"

    def delete(self, key: str) -> None:
        self._maybe_fail("delete")
        with self._lock:
            self.objects.pop(key, None)

    def delete_prefix(self, prefix: str, keep: Collection[str] = ()) -> int:
        self._maybe_fail("delete_prefix")
        with self._lock:
            doomed = [key for key in self.objects if key.startswith(prefix) and key not in keep]
            for key in doomed:
                del self.objects[key]
        return len(doomed)
