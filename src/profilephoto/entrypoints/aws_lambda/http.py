"""What the two REST handlers share: CORS, caller identity, and errors mapped to statuses."""

from __future__ import annotations

import json
from typing import Any, TypeVar

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
from profilephoto.entrypoints.aws_lambda.rest import Cors, Response, Router
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
CommandT = TypeVar("CommandT", bound=BaseModel)


def status_of(error: ProfilePhotoError) -> int:
    return next((s for kind, s in STATUS_BY_ERROR if isinstance(error, kind)), 500)


def error_response(error: ProfilePhotoError) -> Response:
    headers: dict[str, str] = {}
    if isinstance(error, QuotaExceeded):
        headers["Retry-After"] = str(error.retry_after)
        count("QuotaRejected")
    if isinstance(error, CapacityExhausted):
        headers["Retry-After"] = str(error.retry_after)
        count("CapacityRejected")
    return Response(status_of(error), json.dumps(error.to_body()), headers=headers)


def json_response(status: int, body: Any) -> Response:
    return Response(status, json.dumps(body))


def view_response(status: int, view: View) -> Response:
    """A view model (views.py) as the JSON body: what clients see is what OpenAPI documents."""
    return json_response(status, view.to_json())


def new_resolver() -> Router:
    """A REST router with the CORS and error shapes of docs/api.md §3; the caller adds routes."""
    cors = Cors(
        origins=tuple(runtime.settings().origins or ["*"]),
        allow_headers=("Authorization", "Content-Type", "Idempotency-Key"),
        expose_headers=("Retry-After",),
        max_age=600,
    )
    app = Router(cors)

    @app.exception_handler(ProfilePhotoError)
    def _domain_error(error: ProfilePhotoError) -> Response:
        return error_response(error)

    @app.exception_handler(Exception)
    def _bug(error: Exception) -> Response:
        logger.exception("unhandled error")
        return json_response(500, {"error": "Internal error", "code": "internal_error"})

    @app.not_found
    def _not_found(_: LookupError) -> Response:
        allowed = app.methods_at(app.current_request.path)
        if allowed:  # RFC 9110: a known resource asked with another method is 405, with Allow
            body = {"error": "This method is not allowed here", "code": "method_not_allowed"}
            response = json_response(405, body)
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return json_response(404, {"error": "No such route", "code": "not_found"})

    return app


def identity(app: Router) -> Identity:
    """The caller from the authorizer's claims (REST Cognito or HTTP JWT); 401 without one."""
    context = app.current_request.event.get("requestContext") or {}
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


def body(app: Router) -> dict[str, Any]:
    """The JSON object body; anything else (absent, not JSON, not an object) is a 400."""
    try:
        # Decoding is inside the try: a base64 body need not be base64, nor its bytes UTF-8.
        raw = app.current_request.text()
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


def command(app: Router, model: type[CommandT]) -> CommandT:
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
