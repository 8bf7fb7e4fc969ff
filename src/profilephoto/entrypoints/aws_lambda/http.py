"""What the two REST handlers share: CORS, caller identity, and errors mapped to statuses."""

from __future__ import annotations

import contextvars
import json
import re
import threading
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from profilephoto.domain.errors import (
    AccountDeleting,
    CapacityExhausted,
    Forbidden,
    IdempotencyConflict,
    InvalidImage,
    InvalidRequest,
    JobFinished,
    JobInProgress,
    JobNotFound,
    ProfilePhotoError,
    QuotaExceeded,
    ServiceUnavailable,
    Unauthorized,
    UploadNotFound,
)
from profilephoto.domain.models import Identity
from profilephoto.entrypoints.aws_lambda import runtime
from profilephoto.entrypoints.aws_lambda.observability import count, logger
from profilephoto.entrypoints.aws_lambda.views import View

# The one place where domain errors become HTTP statuses (most specific class first).
STATUS_BY_ERROR: tuple[tuple[type[ProfilePhotoError], int], ...] = (
    (InvalidRequest, 400),
    (InvalidImage, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (UploadNotFound, 404),
    (JobNotFound, 404),
    (IdempotencyConflict, 409),
    (JobInProgress, 409),
    (JobFinished, 409),
    (AccountDeleting, 409),
    (QuotaExceeded, 429),
    (CapacityExhausted, 503),
    (ServiceUnavailable, 503),
)
MAX_BODY_BYTES = 16 * 1024
# A REST resolver's route pattern (trailing slashes allowed, as Powertools' own), ended by `\Z`.
EXACT_ROUTE = r"^{}/*\Z"
CommandT = TypeVar("CommandT", bound=BaseModel)


def status_of(error: ProfilePhotoError) -> int:
    return next((s for kind, s in STATUS_BY_ERROR if isinstance(error, kind)), 500)


def error_response(error: ProfilePhotoError) -> Response[Any]:
    headers: dict[str, str] = {}
    if isinstance(error, QuotaExceeded):
        headers["Retry-After"] = str(error.retry_after)
        count("QuotaRejected")
    if isinstance(error, CapacityExhausted):
        headers["Retry-After"] = str(error.retry_after)
        count("CapacityRejected")
    return Response(
        status_code=status_of(error),
        content_type="application/json",
        body=json.dumps(error.to_body()),
        headers=headers,
    )


def json_response(status: int, body: Any) -> Response[Any]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


def view_response(status: int, view: View) -> Response[Any]:
    """A view model (views.py) as the JSON body: what clients see is what OpenAPI documents."""
    return json_response(status, view.to_json())


class EchoingCORSConfig(CORSConfig):
    """docs/api.md §3 echoes the request's Origin when allowed, also under ALLOWED_ORIGINS=*."""

    def allowed_origin(self, extracted_origin: str) -> str | None:
        allowed = super().allowed_origin(extracted_origin)
        return extracted_origin if allowed == "*" else allowed


@dataclass
class _Request:
    """What Powertools keeps about the request being resolved, for one request only."""

    event: APIGatewayProxyEvent | None = None
    lambda_context: LambdaContext | None = None
    context: dict[str, Any] = field(default_factory=dict)
    processed_stack_frames: list[str] = field(default_factory=list)


class ThreadSafeRestResolver(APIGatewayRestResolver):
    """A REST resolver that one process may call from many threads at once.

    Powertools keeps the current event on the resolver *class* (`BaseRouter.current_event`)
    and the route's arguments in a dict on the instance, so two threads resolving at once
    read each other's request: one user gets another user's answer. Here each of those lives
    in a ContextVar set for the duration of `resolve` (as Powertools' own `HttpResolverLocal`
    does for ASGI), so every thread, and every task, sees only its own request.
    """

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = EXACT_ROUTE) -> re.Pattern[str]:
        r"""Powertools ends a route's pattern with `$`, which also matches before a final
        newline: "/me\n" was served as "/me". `\Z` matches at the very end only."""
        pattern: re.Pattern[str] = ApiGatewayResolver._compile_regex(rule, base_regex)
        return pattern

    def __init__(self, **options: Any) -> None:
        self._request: ContextVar[_Request] = ContextVar("profilephoto_request")
        self._building = threading.Lock()
        self._stacks_built = 0  # how many routes have their stack (routes may be added)
        self._idle = _Request()  # what Powertools sets up outside a request (at __init__)
        super().__init__(**options)

    def _now(self) -> _Request:
        return self._request.get(self._idle)

    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEvent:
        event = self._now().event
        if event is None:
            raise RuntimeError("no request is being resolved")
        return event

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEvent) -> None:
        self._now().event = value

    @property  # type: ignore[override]
    def lambda_context(self) -> LambdaContext | None:
        return self._now().lambda_context

    @lambda_context.setter
    def lambda_context(self, value: LambdaContext | None) -> None:
        self._now().lambda_context = value

    @property
    def context(self) -> dict[str, Any]:
        return self._now().context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._now().context = value

    @property
    def processed_stack_frames(self) -> list[str]:
        return self._now().processed_stack_frames

    @processed_stack_frames.setter
    def processed_stack_frames(self, value: list[str]) -> None:
        self._now().processed_stack_frames = value

    def _build_stacks(self) -> None:
        """Build every route's middleware stack once, under a lock. Powertools builds a
        route's stack on its first call, and two threads doing that at once chain their
        frames into each other: that route then answers 500 for the life of the process."""
        with self._building:
            routes = self._static_routes + self._dynamic_routes
            for route in routes:
                if not route._middleware_stack_built:
                    route._build_middleware_stack(
                        router_middlewares=self._router_middlewares, app=self
                    )
            self._stacks_built = len(routes)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        if self._stacks_built != len(self._static_routes) + len(self._dynamic_routes):
            self._build_stacks()
        # In a copy of the caller's context: the request and its log keys (userId) are its
        # own, and the invocation's keys (function, request id) show on its lines.
        return contextvars.copy_context().run(self._resolve_request, event, context)

    def _resolve_request(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        self._request.set(_Request(event=APIGatewayProxyEvent(dict(event)), lambda_context=context))
        return super().resolve(event, context)


def new_resolver() -> APIGatewayRestResolver:
    """A REST resolver with the CORS and error shapes of docs/api.md §3; the caller adds routes."""
    origins = runtime.settings().origins or ["*"]
    cors = EchoingCORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    app = ThreadSafeRestResolver(cors=cors)

    @app.exception_handler(ProfilePhotoError)  # type: ignore[untyped-decorator]
    def _domain_error(error: ProfilePhotoError) -> Response[Any]:
        return error_response(error)

    @app.not_found
    def _not_found(_: Exception) -> Response[Any]:
        allowed = _methods_for(app, app.current_event.path)
        if allowed:  # RFC 9110: a known resource asked with another method is 405, with Allow
            body = {"error": "This method is not allowed here", "code": "method_not_allowed"}
            response = json_response(405, body)
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return json_response(404, {"error": "No such route", "code": "not_found"})

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _bug(error: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return json_response(500, {"error": "Internal error", "code": "internal_error"})

    return app


def _methods_for(app: APIGatewayRestResolver, path: str) -> list[str]:
    """The methods the resolver serves at `path` (and OPTIONS, the preflight); none if it
    serves nothing there."""
    routes = app._static_routes + app._dynamic_routes
    methods = {route.method for route in routes if route.rule.match(path)}
    return sorted(methods | {"OPTIONS"}) if methods else []


def identity(app: APIGatewayRestResolver) -> Identity:
    """The caller from the authorizer's claims (REST Cognito or HTTP JWT); 401 without one."""
    context = app.current_event.raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims") or (authorizer.get("jwt") or {}).get("claims") or {}
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(sub, str) or not sub or len(sub) > 128 or any(c in sub for c in "/#?\\"):
        raise Unauthorized()
    # Per request, not per logger: another thread's log lines must not carry this user's id.
    logger.thread_safe_append_keys(userId=sub)
    return Identity(
        user_id=sub,
        email=_text(claims.get("email")),
        display_name=_text(claims.get("name")),
        provider=_provider(claims),
    )


def body(app: APIGatewayRestResolver) -> dict[str, Any]:
    """The JSON object body; anything else (absent, not JSON, not an object) is a 400."""
    try:
        # Decoding is inside the try: a base64 body need not be base64, nor its bytes UTF-8.
        raw = app.current_event.decoded_body
        if not raw:
            raise InvalidRequest("A JSON body is required")
        if len(raw) > MAX_BODY_BYTES:
            raise InvalidRequest("The body is too large")
        parsed = json.loads(raw)
    except (ValueError, TypeError, RecursionError) as exc:
        # RecursionError: a few KB of `[[[[` nest deeper than the parser's recursion limit.
        raise InvalidRequest("The body is not valid JSON") from exc
    if not isinstance(parsed, dict):
        raise InvalidRequest("The body must be a JSON object")
    return parsed


def command(app: APIGatewayRestResolver, model: type[CommandT]) -> CommandT:
    """The body as `model`; a field of the wrong JSON type, or a missing one, is a 400."""
    try:
        return model.model_validate(body(app))
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise InvalidRequest(f"{where}: {problem['msg']}") from exc


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _provider(claims: dict[str, Any]) -> str:
    """Cognito puts federated logins in `identities` (a JSON list with providerName)."""
    identities = claims.get("identities")
    if isinstance(identities, str):
        try:
            identities = json.loads(identities)
        except ValueError:
            identities = None
    if isinstance(identities, list) and identities and isinstance(identities[0], dict):
        return str(identities[0].get("providerName") or "cognito")
    return "cognito"
