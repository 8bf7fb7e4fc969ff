"""The OpenAPI 3.1 document of the REST API, generated from the resolvers' routes, the commands
they parse and the view models they answer with (committed as docs/openapi.json)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

import profilephoto

if TYPE_CHECKING:  # the schema machinery loads when a document is made, never in a Lambda
    from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode

F = TypeVar("F", bound=Callable[..., Any])
Model = type[BaseModel]
# Bodies as the handlers read them, answers as they write them.
READ: JsonSchemaMode = "validation"
WRITTEN: JsonSchemaMode = "serialization"
# Statuses whose answers say when to come back (docs/api.md §3).
RETRY_AFTER = {
    429: "seconds until the quota day resets, at least 1",
    503: "seconds to wait: until midnight UTC for capacity_exhausted; absent otherwise",
}
ERRORS = {
    400: "The request is not valid (`code` says why; docs/api.md §3)",
    401: "No valid identity",
    403: "Not the caller's own upload",
    404: "Not found (or another user's)",
    409: "Conflicts with the job's state, an earlier request or the account's deletion",
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
    """The document for every route of `resolvers` (rest.Router)."""
    from pydantic.json_schema import models_json_schema

    from profilephoto.entrypoints.aws_lambda import views

    operations: list[tuple[str, str, Any, Operation]] = []
    for resolver in resolvers:
        for route in resolver.routes:
            operation = route.func.__dict__.get("openapi")
            if operation is None:
                raise LookupError(f"{route.method} {route.path} has no @documented(...)")
            operations.append((route.openapi_path, route.method.lower(), route.func, operation))
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(views.ErrorBody, WRITTEN)]
    for _, _, _, operation in operations:
        models.append((operation.answer, WRITTEN))
        if operation.body is not None:
            models.append((operation.body, READ))
    refs, definitions = models_json_schema(
        list(dict.fromkeys(models)),
        ref_template="#/components/schemas/{model}",
        schema_generator=_generator(),
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
                f"Error{status}": _error_response(
                    status, description, refs[(views.ErrorBody, WRITTEN)]
                )
                for status, description in ERRORS.items()
            },
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearerAuth": []}],
    }


def _error_response(status: int, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if status in RETRY_AFTER:
        response["headers"] = {
            "Retry-After": {
                "description": RETRY_AFTER[status],
                "required": status == 429,
                "schema": {"type": "string", "pattern": "^[1-9][0-9]*$"},
            }
        }
    return response


def _generator() -> type[GenerateJsonSchema]:
    from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue

    class LeftOutNotNull(GenerateJsonSchema):
        """An answer leaves a field out rather than send null (views.View.to_json): its
        schema says the type the field has when present, not "or null"."""

        def default_schema(self, schema: Any) -> JsonSchemaValue:
            inner = schema["schema"]
            if (
                self.mode == WRITTEN
                and schema.get("default", ...) is None
                and inner["type"] == "nullable"
            ):
                return self.generate_inner(inner["schema"])
            return super().default_schema(schema)

    return LeftOutNotNull


def _operation(
    path: str, func: Any, operation: Operation, refs: Mapping[Any, Any]
) -> dict[str, Any]:
    def content(model: Model, mode: JsonSchemaMode) -> dict[str, Any]:
        return {"application/json": {"schema": refs[(model, mode)]}}

    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]
    if operation.query is not None:
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
                "schema": {"type": "string", "pattern": "^[\\x20-\\x7e]{1,128}$"},
            }
        )
    responses: dict[str, Any] = {
        str(operation.status): {
            "description": _phrase(operation.status),
            "content": content(operation.answer, WRITTEN),
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
        spec["requestBody"] = {"required": True, "content": content(operation.body, READ)}
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
