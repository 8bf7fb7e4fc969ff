"""Plays API Gateway: an HTTP request becomes a REST proxy event for the same Lambda handler."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from profilephoto.adapters.local.worker import LocalLambdaContext
from profilephoto.domain.errors import Unauthorized

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Verify = Callable[[str | None], dict[str, Any]]
# The authorizer's claims for a request (None: anonymous), as API Gateway's authorizer gives them.
Claims = Callable[[Request], Awaitable[dict[str, str] | None]]
# The handlers refuse bodies over 16 KB; reading a little more than that is enough for them
# to see it is too large, without holding a huge upload in memory first.
BODY_READ_LIMIT = 64 * 1024


def resource_of(path: str) -> tuple[str, dict[str, str] | None]:
    """The API Gateway resource template a path matches, and its path parameters."""
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "jobs" and parts[2]:
        return "/jobs/{jobId}", {"jobId": parts[2]}
    if len(parts) == 4 and parts[1] == "jobs" and parts[2] and parts[3] == "cancel":
        return "/jobs/{jobId}/cancel", {"jobId": parts[2]}
    return path, None


def route_path(request: Request) -> str:
    """The path below the prefix a host mounted the API under (`/photos/jobs` -> `/jobs`)."""
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    return path[len(root) :] or "/" if root and path.startswith(root) else path


def header_claims(verify: Verify) -> Claims:
    """Claims from the `Authorization` header, checked by `verify` (the local token auth)."""

    async def claims(request: Request) -> dict[str, str] | None:
        return _claims(verify, request.headers.get("authorization"))

    return claims


def _claims(verify: Verify, authorization: str | None) -> dict[str, str] | None:
    """The authorizer's claims, as strings like Cognito's; None when the caller is anonymous."""
    if not authorization:
        return None
    try:
        verified = verify(authorization)
    except Unauthorized:
        return None
    return {name: str(value) for name, value in verified.items()}


async def _body(request: Request) -> tuple[str | None, bool]:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > BODY_READ_LIMIT:
            break
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def _header_name(name: str) -> str:
    # Starlette lowercases names; clients send them capitalised, as API Gateway passes on.
    return "-".join(part.capitalize() for part in name.split("-"))


async def to_event(request: Request, claims_of: Claims) -> dict[str, Any]:
    """The REST proxy event API Gateway (with a Cognito authorizer) would send."""
    path = route_path(request)
    resource, path_parameters = resource_of(path)
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        key = _header_name(name)
        headers[key] = value
        multi_headers.setdefault(key, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        multi_query.setdefault(name, []).append(value)
    body, is_base64 = await _body(request)
    context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": request.method,
        "path": path,
        "stage": "local",
        "protocol": f"HTTP/{request.scope.get('http_version', '1.1')}",
        "requestId": str(uuid.uuid4()),
        "requestTime": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(time.time() * 1000),
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": request.url.netloc,
        "identity": {
            "sourceIp": request.client.host if request.client else "127.0.0.1",
            "userAgent": request.headers.get("user-agent", ""),
        },
    }
    claims = None if request.method == "OPTIONS" else await claims_of(request)
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def to_response(answer: dict[str, Any]) -> Response:
    """A Starlette response from a proxy integration's result."""
    body = answer.get("body") or ""
    content = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(content=content, status_code=int(answer.get("statusCode", 502)))
    seen: set[str] = set()
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        seen.add(name.lower())
        for value in values:
            response.headers.append(name, str(value))
    for name, value in (answer.get("headers") or {}).items():
        if name.lower() not in seen:
            response.headers[name] = str(value)
    return response


async def invoke(request: Request, handler: Handler, claims_of: Claims) -> Response:
    """One request through one Lambda handler, off the event loop (handlers block on I/O)."""
    event = await to_event(request, claims_of)
    name = f"profilephoto-local-{handler.__module__.rsplit('.', 1)[-1]}"
    answer = await run_in_threadpool(handler, event, LocalLambdaContext(function_name=name))
    return to_response(answer)
