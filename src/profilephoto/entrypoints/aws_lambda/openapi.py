"""The OpenAPI 3.1 document of the REST API, generated from the resolvers' routes and the models
each handler declares with `documented` (committed as docs/openapi.json)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

import profilephoto

if TYPE_CHECKING:  # the schema machinery loads when a document is made, never in a Lambda
    from pydantic.json_schema import JsonSchemaMode

F = TypeVar("F", bound=Callable[..., Any])
# A model, or the name of one in views.py (those load only when a document is made).
Model = type[BaseModel] | str
MODE: JsonSchemaMode = "validation"
ERRORS = {
    400: "The request is not valid (`code` says why; docs/api.md §3)",
    401: "No valid identity",
    403: "Not the caller's own upload",
    404: "Not found (or another user's)",
    409: "Conflicts with the job's state or an earlier request",
    429: "Daily quota exceeded (`Retry-After` says when it resets)",
    503: "Try again later (`Retry-After` when known)",
}


@dataclass(frozen=True)
class Operation:
    status: int
    answer: Model
    body: Model | None = None
    query: Model | None = None
    headers: tuple[tuple[str, str], ...] = ()
    errors: tuple[int, ...] = (400, 401)


def documented(
    status: int,
    answer: Model,
    *,
    body: Model | None = None,
    query: Model | None = None,
    headers: Mapping[str, str] | None = None,
    errors: Iterable[int] = (400, 401),
) -> Callable[[F], F]:
    """Declare what a route takes and answers; `document()` refuses an undeclared route."""
    operation = Operation(
        status, answer, body, query, tuple((headers or {}).items()), tuple(sorted(errors))
    )

    def mark(route: F) -> F:
        route.__dict__["openapi"] = operation
        return route

    return mark


def document(resolvers: Iterable[Any]) -> dict[str, Any]:
    """The document for every route of `resolvers` (Powertools REST resolvers)."""
    from pydantic.json_schema import models_json_schema

    from profilephoto.entrypoints.aws_lambda import views

    def model(named: Model) -> type[BaseModel]:
        found = getattr(views, named) if isinstance(named, str) else named
        assert isinstance(found, type) and issubclass(found, BaseModel), named
        return found

    operations: list[tuple[str, str, Any, Operation]] = []
    for resolver in resolvers:
        for route in resolver._static_routes + resolver._dynamic_routes:
            operation = route.func.__dict__.get("openapi")
            if operation is None:
                raise LookupError(f"{route.method} {route.path} has no @documented(...)")
            resolved = Operation(
                operation.status,
                model(operation.answer),
                None if operation.body is None else model(operation.body),
                None if operation.query is None else model(operation.query),
                operation.headers,
                operation.errors,
            )
            operations.append((route.openapi_path, route.method.lower(), route.func, resolved))
    # Validation schemas throughout: the domain models' JSON serializer is untyped (it only
    # formats timestamps), so their serialization schemas would say nothing about types.
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(views.ErrorBody, MODE)]
    for _, _, _, operation in operations:
        models.append((model(operation.answer), MODE))
        if operation.body is not None:
            models.append((model(operation.body), MODE))
    refs, definitions = models_json_schema(
        list(dict.fromkeys(models)), ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for raw_path, method, func, operation in sorted(operations, key=lambda o: (o[0], o[1])):
        path = re.sub(r"{(\w+)}", lambda m: "{" + _camel(m.group(1)) + "}", raw_path)
        paths.setdefault(path, {})[method] = _operation(path, func, operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "profilephoto",
            "version": profilephoto.__version__,
            "description": "AI profile photos: upload a selfie, pick a style, get a photo. "
            "The reference is docs/api.md.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "responses": {
                f"Error{status}": {
                    "description": description,
                    "content": {"application/json": {"schema": refs[(views.ErrorBody, MODE)]}},
                }
                for status, description in ERRORS.items()
            },
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearerAuth": []}],
    }


def _operation(
    path: str, func: Any, operation: Operation, refs: Mapping[Any, Any]
) -> dict[str, Any]:
    def content(model: Model, mode: JsonSchemaMode) -> dict[str, Any]:
        return {"application/json": {"schema": refs[(model, mode)]}}

    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]
    if isinstance(operation.query, type):
        schema = operation.query.model_json_schema(by_alias=True)
        for name, field in schema["properties"].items():
            parameters.append({"name": name, "in": "query", "required": False, "schema": field})
    for name, description in operation.headers:
        parameters.append(
            {
                "name": name,
                "in": "header",
                "required": False,
                "description": description,
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
            }
        )
    responses: dict[str, Any] = {
        str(operation.status): {
            "description": _phrase(operation.status),
            "content": content(operation.answer, MODE),
        }
    }
    for status in operation.errors:
        responses[str(status)] = {"$ref": f"#/components/responses/Error{status}"}
    spec: dict[str, Any] = {
        "operationId": _camel(func.__name__),
        "summary": (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else "",
        "responses": responses,
    }
    if parameters:
        spec["parameters"] = parameters
    if operation.body is not None:
        spec["requestBody"] = {"required": True, "content": content(operation.body, MODE)}
    return spec


def _phrase(status: int) -> str:
    from http import HTTPStatus  # only when a document is made: the enum costs at import

    return HTTPStatus(status).phrase


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def rest_document() -> dict[str, Any]:
    """The document of both REST handlers (file_transfer and api)."""
    from profilephoto.entrypoints.aws_lambda import api, file_transfer

    return document([file_transfer.resolver(), api.resolver()])


def render() -> str:
    """The committed form of the document: docs/openapi.json."""
    return json.dumps(rest_document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
