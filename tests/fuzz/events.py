"""Hypothesis strategies for what API Gateway and SQS can deliver to the handlers."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from hypothesis import strategies as st

from tests.e2e.lambda_events import load

OWNER = "7d8ca528-4931-4254-9273-ea5ee853f271"
OTHER = "mallory"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
STYLES = ("professional", "casual", "anime", "", "PROFESSIONAL", "../etc")
# Paths of every route (including ones being added: a fuzz run tries them as they land) and
# near misses of them; `{job}` and `{key}` are replaced by ids that exist in the runtime.
ROUTES = (
    ("/upload/presigned", "POST"),
    ("/generate", "POST"),
    ("/jobs", "GET"),
    ("/jobs/{job}", "GET"),
    ("/jobs/{doomed_job}/cancel", "POST"),
    ("/jobs/{doomed_job}", "DELETE"),
    ("/jobs/{other_job}", "GET"),
    ("/jobs/{other_job}/cancel", "POST"),
    ("/jobs/job_unknown", "GET"),
    ("/usage", "GET"),
    ("/styles", "GET"),
    ("/me", "DELETE"),
)
NEAR_MISSES = ("/jobs/", "/jobs/%2e%2e", "//jobs", "/jobs/{job}/", "/openapi.json", "/")

texts = st.text(max_size=40)
weird_texts = st.sampled_from(
    ["", " ", "\x00", "\u00b2", "\u0663", "9" * 5000, "-1", "1e3", "0x10", "NaN", "\ud7ff", "🙂"]
)
any_text = texts | weird_texts
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def keys_of(user: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [f"uploads/{user}/x.jpg", f"uploads/{OTHER}/x.jpg", "uploads/", "../x", "s3://b/k"]
    )


def rest_events(existing: dict[str, str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """REST proxy events with any method, path, identity, headers, query and body."""
    template = load("list_jobs")
    field_values = {
        "fileKey": st.sampled_from([existing["key"]]) | keys_of(OWNER) | json_values,
        "fileKeys": st.lists(st.sampled_from([existing["key"]]) | any_text, max_size=5)
        | json_values,
        "style": st.sampled_from(STYLES) | json_values,
        "connectionId": any_text | json_values,
        "count": st.integers(-3, 10) | json_values,
        "aspectRatio": st.sampled_from(["1:1", "4:5", "9:16", "16:9", "1:0"]) | json_values,
        "fileName": st.sampled_from(["me.jpg", "a.png", "x.heic", "../a.jpg", "a"]) | any_text,
        "contentType": st.sampled_from(["image/jpeg", "image/png", "image/gif", ""]) | any_text,
        "fileSize": st.integers(-10, 2**40) | json_values,
        "webhook": st.sampled_from(
            [
                "https://hooks.example.com/x",
                "http://hooks.example.com/x",
                "https://127.0.0.1/x",
                "https://169.254.169.254/latest/meta-data/",
                "https://[::1]:99999/",
                "https://u:p@hooks.example.com/",
            ]
        )
        | any_text
        | json_values,
        "webhookEvents": st.lists(
            st.sampled_from(["completed", "failed", "canceled", "queued"]) | any_text, max_size=4
        )
        | json_values,
    }
    shaped_body = st.fixed_dictionaries(
        {}, optional={name: strategy for name, strategy in field_values.items()}
    ).map(json.dumps)
    near_valid = st.sampled_from(
        [
            {"fileKey": existing["key"], "style": "professional"},
            {"fileKey": existing["other_key"], "style": "professional"},
            {"fileKeys": [existing["key"], existing["key"]], "style": "casual", "count": 2},
            {"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": 1024},
        ]
    )
    body = st.one_of(
        st.none(),
        near_valid.map(json.dumps),
        shaped_body,
        json_values.map(json.dumps),
        any_text,
        st.sampled_from(["[" * 2048, '{"a":' * 1500, "{" * 20000, "null"]),
    )
    binary_body = st.binary(max_size=64).map(lambda raw: base64.b64encode(raw).decode())
    claims = st.fixed_dictionaries(
        {"sub": st.sampled_from([OWNER, OTHER]) | any_text},
        optional={"email": any_text, "name": any_text, "identities": any_text},
    )
    owner = claims.map(lambda c: {"claims": {**c, "sub": OWNER}})
    # The owner's identity most of the time, so that events get past the 401 to the routes.
    authorizer = st.one_of(
        owner,
        owner,
        owner,
        claims.map(lambda c: {"claims": c}),
        claims.map(lambda c: {"jwt": {"claims": c}}),
        st.none(),
        st.dictionaries(texts, texts, max_size=2),
    )
    query = st.none() | st.fixed_dictionaries(
        {},
        optional={
            "limit": st.integers(-5, 200).map(str) | weird_texts | texts,
            "nextToken": weird_texts | texts,
            "token": any_text,
        },
    )
    headers = st.fixed_dictionaries(
        {},
        optional={
            "Idempotency-Key": any_text,
            "Origin": st.sampled_from(["https://app.example.com", "https://evil.example"]) | texts,
            "Content-Type": texts,
            "Access-Control-Request-Method": st.sampled_from(METHODS),
        },
    )
    path = st.sampled_from(NEAR_MISSES).map(lambda p: p.format(**existing)) | texts.map(
        lambda p: "/" + p
    )

    routes = [(method, template_path.format(**existing)) for template_path, method in ROUTES]

    @st.composite
    def build(draw: st.DrawFn) -> list[dict[str, Any]]:
        # One draw of a request's parts, sent to every route (with its own method and with a
        # drawn one) and to a drawn path: drawing is what costs, so each draw makes many events.
        parts = {
            "headers": draw(headers),
            "queryStringParameters": draw(query),
            "body": draw(body),
            "isBase64Encoded": False,
        }
        if draw(st.booleans()):
            parts["body"], parts["isBase64Encoded"] = draw(binary_body), True
        who = draw(authorizer)
        odd_method = draw(st.sampled_from(METHODS))
        targets = [*routes, *((odd_method, p) for _, p in routes), (odd_method, draw(path))]
        events = []
        for method, target in targets:
            event = {**template, **parts, "httpMethod": method, "path": target, "resource": target}
            context = {k: v for k, v in template["requestContext"].items() if k != "authorizer"}
            if who is not None:
                context["authorizer"] = who
            event["requestContext"] = context
            events.append(event)
        return events

    return build()


def sqs_batch(messages: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """An SQS batch of 5-10 records: real messages, mutated ones and junk bodies."""
    template = load("sqs_batch")["Records"][0]
    real = st.sampled_from(messages)
    mutated = st.builds(
        lambda message, field, value: {**message, field: value},
        real,
        st.sampled_from(["jobId", "userId", "fileKey", "style", "fileKeys", "count"]),
        json_values,
    )
    body = st.one_of(
        real.map(json.dumps),
        mutated.map(json.dumps),
        json_values.map(json.dumps),
        any_text,
    )

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        records = []
        for n, text in enumerate(draw(st.lists(body, min_size=5, max_size=10))):
            record = copy.deepcopy(template)
            record["messageId"] = f"msg-{n}"
            record["body"] = text
            record["attributes"]["ApproximateReceiveCount"] = str(draw(st.integers(1, 6)))
            records.append(record)
        return {"Records": records}

    return build()


def websocket_event() -> st.SearchStrategy[dict[str, Any]]:
    """A WebSocket event for any route, connection id, identity and body."""
    template = load("ws_connect")
    authorizer = st.none() | st.fixed_dictionaries(
        {},
        optional={
            "principalId": st.sampled_from([OWNER, OTHER]) | any_text,
            "sub": any_text,
            "claims": st.dictionaries(texts, texts, max_size=2),
        },
    )

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        event = copy.deepcopy(template)
        context = event["requestContext"]
        context["routeKey"] = draw(
            st.sampled_from(["$connect", "$disconnect", "$default", "ping"]) | texts
        )
        connection = draw(st.none() | st.sampled_from(["Cx1a2cZ5oAMCKrA=", ""]) | texts)
        if connection is None:
            context.pop("connectionId")
        else:
            context["connectionId"] = connection
        who = draw(authorizer)
        if who is None:
            context.pop("authorizer")
        else:
            context["authorizer"] = who
        event["body"] = draw(st.none() | json_values.map(json.dumps) | any_text)
        return event

    return build()
