"""The object URLs: presigned PUT and GET, checked against the filesystem store's signature."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from profilephoto.domain.errors import (
    Forbidden,
    InvalidRequest,
    ObjectNotFound,
    ProfilePhotoError,
    ServiceUnavailable,
)
from profilephoto.domain.models import UPLOAD_ENCRYPTION, UPLOAD_ENCRYPTION_HEADER

STATUS = ((Forbidden, 403), (InvalidRequest, 400), (ObjectNotFound, 404), (ServiceUnavailable, 503))
CORS_METHODS = "GET, PUT, OPTIONS"


class ObjectRoutes:
    """PUT and GET on `/objects/{bucket}/{key}` for the stores the runtime hands URLs out for."""

    def __init__(self, stores: Mapping[str, Any], origins: list[str]) -> None:
        self._stores = dict(stores)
        self._origins = origins

    async def handle(self, request: Request) -> Response:
        bucket = request.path_params["bucket"]
        key = request.path_params["key"]
        cors = self._cors(request.headers.get("origin"))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=cors)
        try:
            store = self._stores.get(bucket)
            if store is None:
                # Like S3 with a bad signature: an unknown bucket tells the caller nothing.
                raise Forbidden("The URL is not signed for this bucket")
            if request.method == "PUT":
                response = await self._put(request, store, key)
            else:
                response = await self._get(request, store, key)
        except ProfilePhotoError as error:
            status = next((s for kind, s in STATUS if isinstance(error, kind)), 500)
            response = JSONResponse(error.to_body(), status_code=status)
        response.headers.update(cors)
        return response

    async def _put(self, request: Request, store: Any, key: str) -> Response:
        query = dict(request.query_params)
        if request.headers.get(UPLOAD_ENCRYPTION_HEADER) != UPLOAD_ENCRYPTION:
            # As S3 refuses a PUT without the signed header: clients send what the ticket says.
            raise Forbidden(f"The upload must send {UPLOAD_ENCRYPTION_HEADER}: {UPLOAD_ENCRYPTION}")
        content_type = request.headers.get("content-type")
        declared = _length(request.headers.get("content-length"))
        # Checked before the body is read, so a forged or oversized upload costs nothing.
        grant = store.verify("PUT", key, query, content_type, declared)
        limit = grant.size
        body = b""
        async for chunk in request.stream():
            body += chunk
            if limit is not None and len(body) > limit:
                break
        await run_in_threadpool(store.accept_upload, key, query, content_type, body)
        etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
        return Response(status_code=200, headers={"ETag": f'"{etag}"'})

    async def _get(self, request: Request, store: Any, key: str) -> Response:
        data, content_type = await run_in_threadpool(
            store.serve_download, key, dict(request.query_params)
        )
        return Response(
            content=data,
            media_type=content_type,
            headers={"Cache-Control": "private, max-age=300"},
        )

    def _cors(self, origin: str | None) -> dict[str, str]:
        if not origin or not ({"*", origin} & set(self._origins)):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": CORS_METHODS,
            "Access-Control-Allow-Headers": "Content-Type, x-amz-server-side-encryption",
            "Vary": "Origin",
        }


def _length(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
