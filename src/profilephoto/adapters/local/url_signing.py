"""HMAC-signed object URLs: what a presigned local URL grants and how the server checks it."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from profilephoto.domain.errors import Forbidden, InvalidRequest


@dataclass(frozen=True)
class Grant:
    """One signed permission: `method` on `bucket/key` until `expires` (epoch seconds)."""

    method: str
    bucket: str
    key: str
    expires: int
    content_type: str = ""
    size: int | None = None  # a PUT of exactly this many bytes, as S3's signed Content-Length

    def canonical(self) -> bytes:
        # A JSON array cannot be ambiguous the way a joined string could be.
        fields = [
            self.method,
            self.bucket,
            self.key,
            self.content_type,
            "" if self.size is None else str(self.size),
            str(self.expires),
        ]
        return json.dumps(fields, separators=(",", ":")).encode()


class UrlSigner:
    def __init__(self, signing_key: bytes, base_url: str) -> None:
        if len(signing_key) < 16:
            raise ValueError("the signing key must be at least 16 bytes")
        self._key = signing_key
        self._base_url = base_url.rstrip("/")

    def signature(self, grant: Grant) -> str:
        return hmac.new(self._key, grant.canonical(), hashlib.sha256).hexdigest()

    def url(self, grant: Grant) -> str:
        """`{base_url}/objects/{bucket}/{key}?expires=..&ct=..&size=..&sig=..`."""
        query: dict[str, str] = {"expires": str(grant.expires)}
        if grant.content_type:
            query["ct"] = grant.content_type
        if grant.size is not None:
            query["size"] = str(grant.size)
        query["sig"] = self.signature(grant)
        path = f"/objects/{quote(grant.bucket, safe='')}/{quote(grant.key, safe='/')}"
        return f"{self._base_url}{path}?{urlencode(query)}"

    def verify(
        self,
        method: str,
        bucket: str,
        key: str,
        query: Mapping[str, str],
        content_type: str | None,
        length: int | None,
        now: datetime,
    ) -> Grant:
        """The grant a request's query proves, checked against what the request does.

        Forbidden: missing, tampered or expired signature (S3 answers 403 to all three).
        InvalidRequest: a PUT whose Content-Type is not the signed one, or with no length.
        Forbidden too: a PUT of any other length than the signed size (S3 answers 403
        SignatureDoesNotMatch when a signed Content-Length differs).
        """
        try:
            expires = int(query["expires"])
            size_text = query.get("size", "")
            size = int(size_text) if size_text else None
            signature = query["sig"]
        except (KeyError, ValueError) as exc:
            raise Forbidden("The URL is not signed") from exc
        grant = Grant(method.upper(), bucket, key, expires, query.get("ct", ""), size)
        if not hmac.compare_digest(self.signature(grant), signature):
            raise Forbidden("The URL's signature does not match")
        if now.timestamp() >= expires:
            raise Forbidden("The URL has expired")
        if grant.method == "PUT":
            _check_upload(grant, content_type, length)
        return grant


def _check_upload(grant: Grant, content_type: str | None, length: int | None) -> None:
    sent = (content_type or "").split(";", 1)[0].strip().lower()
    if grant.content_type and sent != grant.content_type.lower():
        raise InvalidRequest(
            f"Content-Type must be {grant.content_type}, as signed", expected=grant.content_type
        )
    if length is None:
        raise InvalidRequest("Content-Length is required")
    if grant.size is not None and length != grant.size:
        raise Forbidden(f"The upload must be exactly {grant.size} bytes, the signed fileSize")
