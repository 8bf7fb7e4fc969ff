"""Realistic Lambda events from tests/events/, adjusted per test, and a Lambda context."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent.parent / "events"
SUB = "7d8ca528-4931-4254-9273-ea5ee853f271"


@dataclass
class FakeLambdaContext:
    function_name: str = "profilephoto-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:profilephoto-test"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


CONTEXT = FakeLambdaContext()


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def rest(
    name: str,
    *,
    body: Any = ...,
    sub: str | None = SUB,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path: str | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """A REST proxy event from a fixture, with the caller, body, headers or path replaced."""
    event = copy.deepcopy(load(name))
    if body is not ...:
        event["body"] = json.dumps(body)
    if raw_body is not None:
        event["body"] = raw_body
    if sub is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"]["claims"]["sub"] = sub
    event["headers"].update(headers or {})
    if query is not None:
        event["queryStringParameters"] = query
    if path is not None:
        event["path"] = path
        event["pathParameters"] = {"jobId": path.rsplit("/", 1)[-1]}
    return event


def answer(response: dict[str, Any]) -> tuple[int, Any]:
    """The status and decoded JSON body of a proxy response."""
    text = response.get("body") or "null"
    return response["statusCode"], json.loads(text)


def headers(response: dict[str, Any]) -> dict[str, str]:
    """Response headers, whether the resolver put them in headers or multiValueHeaders."""
    merged = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        merged.setdefault(name, ",".join(values))
    return merged
