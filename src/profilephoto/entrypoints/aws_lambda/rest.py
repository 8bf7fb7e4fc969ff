"""A router for API Gateway's REST proxy events: routes, CORS, one request per context.

The REST handlers need a route table, path parameters, the CORS headers of docs/api.md §3
and an error answer for every exception. Powertools' resolver does that too, but its package
imports every resolver it has (AppSync's asyncio among them) at each cold start, keeps the
request on the resolver class (two threads read each other's request) and builds each
route's middleware on its first call (two threads building it at once broke the route for
good): this one is small enough to read, keeps the request in a ContextVar, and has nothing
to build on a first call.
"""

from __future__ import annotations

import base64
import contextvars
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext

# `<name>` in a route is one path segment made of what RFC 3986 allows there (as Powertools').
PARAMETER = re.compile(r"<(\w+)>")
SEGMENT = r"[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]+"
RouteFunction = Callable[..., "Response"]
ErrorT = TypeVar("ErrorT", bound=Exception)
ErrorHandler = Callable[[Any], "Response"]


@dataclass
class Response:
    """What a route answers: API Gateway's proxy result, before CORS."""

    status_code: int
    body: str = ""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One REST proxy event (payload 1.0)."""

    event: Mapping[str, Any]

    @property
    def method(self) -> str:
        return str(self.event.get("httpMethod") or "").upper()

    @property
    def path(self) -> str:
        return str(self.event.get("path") or "")

    @cached_property
    def headers(self) -> dict[str, str]:
        """The headers by lower-cased name (HTTP's names are case-insensitive)."""
        return {str(k).lower(): v for k, v in (self.event.get("headers") or {}).items()}

    def header(self, name: str) -> str | None:
        value = self.headers.get(name.lower())
        return value if isinstance(value, str) else None

    @property
    def query(self) -> Mapping[str, str]:
        return self.event.get("queryStringParameters") or {}

    def text(self) -> str | None:
        """The body as text, decoded from base64 when API Gateway encoded it; ValueError
        when it is not base64, or its bytes are not UTF-8."""
        body = self.event.get("body")
        if not isinstance(body, str) or not body:
            return None
        if self.event.get("isBase64Encoded"):
            return base64.b64decode(body.encode(), validate=False).decode()
        return body


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as declared: /jobs/<job_id>
    func: RouteFunction

    @cached_property
    def rule(self) -> re.Pattern[str]:
        r"""The path's pattern: trailing slashes allowed, `\Z` at the end (`$` would also
        match before a final newline: "/me\n" would be served as "/me")."""
        pattern = PARAMETER.sub(lambda m: f"(?P<{m.group(1)}>{SEGMENT})", self.path)
        return re.compile(f"^{pattern}/*\\Z")

    @property
    def openapi_path(self) -> str:
        return PARAMETER.sub(r"{\1}", self.path)


@dataclass(frozen=True)
class Cors:
    """docs/api.md §3: an allowed request Origin is echoed (also under `*`), with the
    headers a browser needs; a request without an Origin gets no CORS headers."""

    origins: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int

    def headers(self, origin: str | None) -> dict[str, str]:
        if not origin or (origin not in self.origins and "*" not in self.origins):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Headers": ",".join(sorted(self.allow_headers)),
            "Access-Control-Expose-Headers": ",".join(self.expose_headers),
            "Access-Control-Max-Age": str(self.max_age),
        }


class Router:
    """Routes REST proxy events to functions; safe to call from many threads at once."""

    def __init__(self, cors: Cors) -> None:
        self.cors = cors
        self.routes: list[Route] = []
        self._errors: list[tuple[type[Exception], ErrorHandler]] = []
        self._not_found: ErrorHandler | None = None
        self._request: contextvars.ContextVar[Request] = contextvars.ContextVar("rest_request")

    def route(self, method: str, path: str) -> Callable[[RouteFunction], RouteFunction]:
        def add(func: RouteFunction) -> RouteFunction:
            added = Route(method.upper(), path, func)
            # Fixed paths before parameterized ones, each in the order they were declared.
            at = len(self.routes) if PARAMETER.search(path) else self._fixed_count()
            self.routes.insert(at, added)
            return func

        return add

    def get(self, path: str) -> Callable[[RouteFunction], RouteFunction]:
        return self.route("GET", path)

    def post(self, path: str) -> Callable[[RouteFunction], RouteFunction]:
        return self.route("POST", path)

    def delete(self, path: str) -> Callable[[RouteFunction], RouteFunction]:
        return self.route("DELETE", path)

    def exception_handler(
        self, kind: type[ErrorT]
    ) -> Callable[[Callable[[ErrorT], Response]], Callable[[ErrorT], Response]]:
        """Answer exceptions of `kind` with the function (the first declared that fits)."""

        def add(handler: Callable[[ErrorT], Response]) -> Callable[[ErrorT], Response]:
            self._errors.append((kind, handler))
            return handler

        return add

    def not_found(self, handler: Callable[[LookupError], Response]) -> ErrorHandler:
        """Answer a request no route matches (a preflight OPTIONS is answered before it)."""
        self._not_found = handler
        return handler

    @property
    def current_request(self) -> Request:
        """The request being resolved by this thread (or task)."""
        try:
            return self._request.get()
        except LookupError:
            raise RuntimeError("no request is being resolved") from None

    def methods_at(self, path: str) -> list[str]:
        """The methods served at `path`, and OPTIONS (the preflight); none if nothing is."""
        methods = {route.method for route in self.routes if route.rule.match(path)}
        return sorted(methods | {"OPTIONS"}) if methods else []

    def resolve(self, event: Mapping[str, Any], context: LambdaContext | None) -> dict[str, Any]:
        """API Gateway's proxy result for `event`. It runs in a copy of the caller's context:
        the request, and the log keys a route adds (userId), stay this request's own. The
        Lambda context is the handler's (observability reads it); no route needs it."""
        return contextvars.copy_context().run(self._resolve, Request(event))

    def _resolve(self, request: Request) -> dict[str, Any]:
        self._request.set(request)
        try:
            response = self._answer(request)
        except Exception as error:  # every error gets an answer, or goes on
            response = self._handle(error)
        response.headers.update(self.cors.headers(request.header("Origin")))
        headers = dict(response.headers)
        if response.content_type:
            headers["Content-Type"] = response.content_type
        return {
            "statusCode": response.status_code,
            "body": response.body,
            "isBase64Encoded": False,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
        }

    def _answer(self, request: Request) -> Response:
        for route in self.routes:
            if route.method == request.method:
                match = route.rule.match(request.path)
                if match:
                    return route.func(**match.groupdict())
        if request.method == "OPTIONS":  # a preflight, for any path: the browser asks first
            allowed = sorted({route.method for route in self.routes} | {"OPTIONS"})
            return Response(
                204, content_type=None, headers={"Access-Control-Allow-Methods": ",".join(allowed)}
            )
        if self._not_found is None:
            return Response(404, '{"error": "No such route", "code": "not_found"}')
        return self._not_found(LookupError(request.path))

    def _handle(self, error: Exception) -> Response:
        for kind, handler in self._errors:
            if isinstance(error, kind):
                return handler(error)
        raise error

    def _fixed_count(self) -> int:
        return sum(1 for route in self.routes if not PARAMETER.search(route.path))
