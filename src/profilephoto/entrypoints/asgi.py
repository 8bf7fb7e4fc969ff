"""The HTTP API as an ASGI app a host mounts under its own prefix, with its own authentication."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from profilephoto.entrypoints.aws_lambda import api, file_transfer, runtime
from profilephoto.entrypoints.library.app import ProfilePhoto
from profilephoto.entrypoints.local import gateway
from profilephoto.entrypoints.local.objects import ObjectRoutes

# The host's verdict on a request: the user's id, or None (the API answers 401).
Authenticate = Callable[[Request], "Awaitable[str | None] | str | None"]
# Every method goes to the handlers, which answer 405 with Allow for those a path lacks.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
API_PATHS = (
    "/generate",
    "/jobs",
    "/jobs/{jobId}",
    "/jobs/{jobId}/cancel",
    "/usage",
    "/styles",
    "/me",
)


def asgi_app(app: ProfilePhoto, authenticate: Authenticate) -> Starlette:
    """The routes of docs/api.md §3 (and, on the local runtime, its object URLs) over `app`.

    Mount it (`host.mount("/photos", asgi_app(app, authenticate))`) and open `app` with a
    `base_url` that ends in the same prefix. `authenticate(request)` may be sync or async;
    it runs on the event loop, so it must not block."""
    hosting = app._hosting
    routes = api_routes(hosting.binding, user_claims(authenticate))
    if hosting.served_stores:
        routes.append(object_route(hosting.served_stores, hosting.binding.settings.origins))
    return Starlette(
        routes=[exact(route) for route in routes], exception_handlers={HTTPException: json_error}
    )


def user_claims(authenticate: Authenticate) -> gateway.Claims:
    """The authorizer's claims from the host's verdict: `sub` is the user id."""

    async def claims(request: Request) -> dict[str, str] | None:
        verdict = authenticate(request)
        user_id = await verdict if inspect.isawaitable(verdict) else verdict
        return {"sub": user_id} if isinstance(user_id, str) and user_id else None

    return claims


def api_routes(binding: runtime.Binding, claims_of: gateway.Claims) -> list[BaseRoute]:
    """The REST routes, each through its Lambda handler bound to `binding`'s runtime."""
    presign, rest = _bound(file_transfer.handler, binding), _bound(api.handler, binding)

    async def presign_route(request: Request) -> Response:
        return await gateway.invoke(request, presign, claims_of)

    async def rest_route(request: Request) -> Response:
        return await gateway.invoke(request, rest, claims_of)

    return [
        Route("/upload/presigned", presign_route, methods=ANY_METHOD),
        *(Route(path, rest_route, methods=ANY_METHOD) for path in API_PATHS),
    ]


def object_route(stores: list[Any], origins: list[str]) -> BaseRoute:
    """Where the local runtime's signed upload and result URLs point."""
    objects = ObjectRoutes({store.bucket: store for store in stores}, origins)
    return Route("/objects/{bucket}/{key:path}", objects.handle, methods=["GET", "PUT", "OPTIONS"])


async def json_error(request: Request, exc: Exception) -> Response:
    """Starlette's own answers (unknown path, wrong method) in the API's error shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal error"
    headers = exc.headers if isinstance(exc, HTTPException) else None  # 405's Allow
    return JSONResponse({"error": detail, "code": code}, status_code=status, headers=headers)


def exact(route: BaseRoute) -> BaseRoute:
    r"""Starlette ends a route's pattern with `$`, which also matches before a final newline:
    `DELETE /me%0A` was served as `DELETE /me`. `\Z` matches at the very end only."""
    if not isinstance(route, Route | WebSocketRoute | Mount):
        raise TypeError(f"cannot make {route!r} match exactly")
    route.path_regex = re.compile(route.path_regex.pattern.removesuffix("$") + r"\Z")
    return route


def _bound(handler: gateway.Handler, binding: runtime.Binding) -> gateway.Handler:
    def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with runtime.bound(binding):
            return handler(event, context)

    call.__module__ = handler.__module__  # the local Lambda context is named after it
    return call
