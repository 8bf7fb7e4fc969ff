"""Fuzz: generated API Gateway, SQS and WebSocket events never make a handler fail or leak."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profilephoto.containers.memory import MemoryContainer
from profilephoto.domain.commands import GenerationRequest, UploadRequest
from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.models import Identity
from profilephoto.entrypoints.aws_lambda import api, file_transfer, process, runtime, websocket
from profilephoto.settings import load_settings
from tests.e2e.lambda_events import CONTEXT
from tests.fuzz.events import OTHER, OWNER, ROUTES, rest_events, sqs_batch, websocket_event
from tests.fuzz.profile import examples

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 512
REST_EVENTS = 10_000
SQS_RECORDS = 2_000
WEBSOCKET_EVENTS = 2_000
PER_EXAMPLE = 20  # WebSocket events per hypothesis example
REST_EVENTS_PER_EXAMPLE = 2 * len(ROUTES) + 1


@pytest.fixture
def existing(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A memory runtime where the owner has uploads and queued jobs (one to cancel and delete),
    and another user has one."""
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.example.com")
    container = MemoryContainer()
    container.config.override(ServiceConfig(daily_limit=10**6))
    runtime.install(container, load_settings())
    services = container.services
    ids: dict[str, Any] = {"container": container}
    for user, name in ((OWNER, "job"), (OTHER, "other_job"), (OWNER, "doomed_job")):
        who = Identity(user_id=user)
        ticket = services.upload_service().request_upload(
            who, UploadRequest(file_name="x.jpg", content_type="image/jpeg", file_size=len(JPEG))
        )
        container.uploads().write(ticket.file_key, JPEG, "image/jpeg")
        accepted = services.generation_service().request_generation(
            who, GenerationRequest(ticket.file_key, "professional")
        )
        ids[name] = accepted.job_id
        ids.setdefault("key" if user == OWNER else "other_key", ticket.file_key)
    ids["messages"] = [m.to_json_dict() for m in container.queue().drain()]
    yield ids
    runtime.install(None)


def caller_of(event: dict[str, Any]) -> object:
    authorizer = event["requestContext"].get("authorizer") or {}
    claims = authorizer.get("claims") or (authorizer.get("jwt") or {}).get("claims") or {}
    return claims.get("sub")


def check_rest_answer(event: dict[str, Any], answer: dict[str, Any], uow: Any) -> str:
    """The contract's promises for any request; returns the kind of answer seen."""
    status = answer["statusCode"]
    assert isinstance(status, int) and status < 500, (event, answer)
    body = json.loads(answer["body"]) if answer.get("body") else None
    if status >= 400:
        assert isinstance(body, dict), (event, answer)
        assert isinstance(body.get("error"), str) and isinstance(body.get("code"), str), answer
    if status == 200 and isinstance(body, dict):
        shown = [*body.get("items", []), body] if "jobId" in body or "items" in body else []
        for job in (item for item in shown if "jobId" in item and "status" in item):
            stored = uow.jobs.get(job["jobId"])
            assert stored is None or stored.user_id == caller_of(event), ("leak", event, answer)
    return f"{status // 100}xx" if status not in (400, 401, 403, 404) else str(status)


def test_ten_thousand_generated_rest_events_never_answer_500_nor_raise(existing):
    seen: Counter[str] = Counter()
    uow = existing["container"].uow()

    @settings(
        settings.get_profile("profilephoto-fuzz"),
        max_examples=examples(REST_EVENTS, REST_EVENTS_PER_EXAMPLE),
    )
    @given(events=rest_events(existing))
    def run(events: list[dict[str, Any]]) -> None:
        for event in events:
            serving = event["path"] == "/upload/presigned"
            # One event in seven goes to the handler that does not serve its route: it must
            # cope with that too (a misrouted integration is a 404, not a crash).
            if seen.total() % 7 == 0:
                serving = not serving
            handler = file_transfer.handler if serving else api.handler
            seen[check_rest_answer(event, handler(event, CONTEXT), uow)] += 1

    run()
    assert sum(seen.values()) >= REST_EVENTS
    # The events reach past the front door: every kind of answer shows up.
    assert {"2xx", "400", "401", "403", "404"} <= set(seen), seen


def test_two_thousand_generated_sqs_records_are_acknowledged_or_processed_never_raised(existing):
    records: Counter[str] = Counter()

    @settings(settings.get_profile("profilephoto-fuzz"), max_examples=examples(SQS_RECORDS, 5))
    @given(event=sqs_batch(existing["messages"]))
    def run(event: dict[str, Any]) -> None:
        answer = process.handler(event, CONTEXT)
        # The model never fails here, so no record has a reason to come back: a record
        # reported for retry is one whose handling raised.
        assert answer == {"batchItemFailures": []}, (event, answer)
        records["records"] += len(event["Records"])

    run()
    assert records["records"] >= SQS_RECORDS


def test_two_thousand_generated_websocket_events_get_an_answer_never_an_exception(existing):
    seen: Counter[int] = Counter()

    @settings(
        settings.get_profile("profilephoto-fuzz"),
        max_examples=examples(WEBSOCKET_EVENTS, PER_EXAMPLE),
    )
    @given(events=st.lists(websocket_event(), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE))
    def run(events: list[dict[str, Any]]) -> None:
        for event in events:
            answer = websocket.handler(event, CONTEXT)
            assert isinstance(answer["statusCode"], int) and answer["statusCode"] < 500, answer
            seen[answer["statusCode"]] += 1

    run()
    assert sum(seen.values()) >= WEBSOCKET_EVENTS
    assert {200, 400, 401} <= set(seen), seen
