"""The REST handlers with realistic API Gateway events, on the memory runtime."""

from __future__ import annotations

import base64
import json
import math
from datetime import timedelta

import pytest

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import QueueUnavailable
from profilephoto.entrypoints.aws_lambda import api, file_transfer, process
from tests.e2e.lambda_events import CONTEXT, SUB, answer, headers, load, rest

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 512
pytestmark = pytest.mark.usefixtures("memory_runtime")


def presign(**body_changes: object) -> tuple[int, dict]:
    body = {"fileName": "profile.jpg", "contentType": "image/jpeg", "fileSize": len(JPEG)}
    body.update(body_changes)
    return answer(file_transfer.handler(rest("presign", body=body), CONTEXT))


def uploaded_key(container) -> str:
    status, ticket = presign()
    assert status == 200
    container.uploads().write(ticket["fileKey"], JPEG, "image/jpeg")
    return ticket["fileKey"]


def generate(key: str, style: str = "professional", **headers: str) -> dict:
    return api.handler(
        rest("generate", body={"fileKey": key, "style": style}, headers=headers), CONTEXT
    )


def test_presign_answers_the_contract_shape():
    status, ticket = presign()
    assert status == 200
    assert set(ticket) == {"uploadUrl", "method", "fileKey", "expiresIn", "headers"}
    assert ticket["method"] == "PUT" and ticket["expiresIn"] == 3600
    assert ticket["fileKey"].startswith(f"uploads/{SUB}/") and ticket["fileKey"].endswith(".jpg")
    assert ticket["headers"]["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize("name", ["photo.jfif", "PHOTO.JPE"])
def test_jfif_and_jpe_names_are_jpegs_whose_key_the_caller_can_generate_from(name):
    status, ticket = presign(fileName=name)
    assert status == 200
    assert ticket["fileKey"].endswith("." + name.rsplit(".", 1)[1].lower())
    assert ticket["headers"]["Content-Type"] == "image/jpeg"
    # The key issued is one /generate accepts as the caller's own.
    status, body = answer(generate(ticket["fileKey"]))
    assert (status, body["code"]) == (404, "upload_not_found")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"contentType": "image/gif", "fileName": "a.gif"}, "unsupported_type"),
        ({"fileName": "a.png"}, "extension_mismatch"),
        ({"fileSize": 0}, "invalid_request"),
        ({"fileSize": "big"}, "invalid_request"),
        ({"fileSize": 10_485_761}, "file_too_large"),
        ({"fileName": "../../x\x00.jpg"}, "invalid_request"),
        ({"fileSize": 1024.0}, "invalid_request"),
        ({"fileSize": True}, "invalid_request"),
        ({"fileSize": "1024"}, "invalid_request"),
        ({"contentType": ["image/jpeg"]}, "invalid_request"),
        ({"fileName": None}, "invalid_request"),
    ],
)
def test_presign_rejects_bad_requests_with_400_and_a_code(changes, code):
    status, body = presign(**changes)
    assert (status, body["code"]) == (400, code)
    assert body["error"]


@pytest.mark.parametrize(
    "raw", ["", "not json", "[1,2]", "null", '"text"', "{" * 20000, "[" * 2048, '{"a":' * 1500]
)
def test_malformed_bodies_are_400_never_500(raw):
    for handler, name in ((file_transfer.handler, "presign"), (api.handler, "generate")):
        status, body = answer(handler(rest(name, raw_body=raw), CONTEXT))
        assert (status, body["code"]) == (400, "invalid_request")


@pytest.mark.parametrize("raw", [b"\xff\xfe", b'{"fileName": "\xff.jpg"}', b"\x00" * 10])
def test_a_body_that_is_not_utf8_is_400_never_500(raw):
    for handler, name in ((file_transfer.handler, "presign"), (api.handler, "generate")):
        event = rest(name, raw_body=base64.b64encode(raw).decode())
        event["isBase64Encoded"] = True
        status, body = answer(handler(event, CONTEXT))
        assert (status, body["code"]) == (400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        {"fileKey": 5, "style": "professional"},
        {"fileKey": "uploads/x/a.jpg", "style": ["professional"]},
        {"fileKey": "uploads/x/a.jpg"},
        {"fileKey": "uploads/x/a.jpg", "style": "professional", "connectionId": 7},
    ],
)
def test_a_generate_body_with_a_field_of_the_wrong_type_is_400_naming_the_field(body):
    status, answer_body = answer(api.handler(rest("generate", body=body), CONTEXT))
    assert (status, answer_body["code"]) == (400, "invalid_request")
    assert answer_body["error"].split(":")[0] in {"fileKey", "style", "connectionId"}


def test_a_request_without_identity_is_401_on_every_route():
    for handler, name in (
        (file_transfer.handler, "presign"),
        (api.handler, "generate"),
        (api.handler, "list_jobs"),
        (api.handler, "usage"),
        (api.handler, "get_job"),
        (api.handler, "styles"),  # as on AWS, where the API's authorizer guards every route
    ):
        status, body = answer(handler(rest(name, sub=None), CONTEXT))
        assert (status, body["code"]) == (401, "unauthorized"), name


def test_http_api_jwt_claims_are_accepted(memory_runtime):
    event = rest("usage")
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "carol"}}}
    status, body = answer(api.handler(event, CONTEXT))
    assert status == 200 and body["used"] == 0


def test_generate_queues_one_job_and_the_worker_completes_it(memory_runtime):
    key = uploaded_key(memory_runtime)
    status, accepted = answer(generate(key))
    assert (status, accepted["status"], accepted["remainingQuota"]) == (202, "queued", 9)
    assert accepted["jobId"].startswith("job_")
    (message,) = memory_runtime.queue().drain()
    event = load("sqs_batch")
    event["Records"][0]["body"] = json.dumps(message.to_json_dict())
    assert process.handler(event, CONTEXT) == {"batchItemFailures": []}
    status, job = answer(api.handler(rest("get_job", path=f"/jobs/{accepted['jobId']}"), CONTEXT))
    assert (status, job["status"]) == (200, "completed")
    assert job["resultUrl"]
    status, page = answer(api.handler(rest("list_jobs"), CONTEXT))
    assert [j["jobId"] for j in page["items"]] == [accepted["jobId"]]
    assert page["nextToken"] is None


def test_generate_errors_follow_the_contract(memory_runtime):
    key = uploaded_key(memory_runtime)
    other = f"uploads/someone-else/{key.rsplit('/', 1)[1]}"
    prefix, name = key.rsplit("/", 1)
    missing = f"{prefix}/{name[:14]}{'f' * 32}.jpg"
    cases = [
        (generate(key, style="cubist"), 400, "unknown_style"),
        (generate(other), 403, "forbidden"),
        (generate(missing), 404, "upload_not_found"),
        (generate(None), 400, "invalid_request"),
    ]
    for response, status, code in cases:
        got_status, body = answer(response)
        assert (got_status, body["code"]) == (status, code)
    assert "professional" in answer(cases[0][0])[1]["styles"]
    assert answer(cases[2][0])[1]["error"] == "Uploaded file not found in S3"


def test_quota_exhaustion_is_429_with_retry_after_on_generate_and_presign(memory_runtime):
    memory_runtime.config.override(ServiceConfig(daily_limit=1))
    key = uploaded_key(memory_runtime)
    assert generate(key)["statusCode"] == 202
    response = generate(key)
    status, body = answer(response)
    assert (status, body) == (
        429,
        {"error": "Daily quota exceeded", "code": "quota_exceeded", "remainingQuota": 0},
    )
    assert int(headers(response)["Retry-After"]) > 0
    status, body = presign()
    assert (status, body["code"]) == (429, "quota_exceeded")


def test_a_non_image_is_400_invalid_image_and_usage_is_unchanged(memory_runtime):
    key = uploaded_key(memory_runtime)
    memory_runtime.uploads().write(key, b"<html>not a photo</html>", "image/jpeg")
    status, body = answer(generate(key))
    assert (status, body["code"]) == (400, "invalid_image")
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 0


def test_queue_outage_is_503_and_usage_is_unchanged(memory_runtime):
    key = uploaded_key(memory_runtime)
    memory_runtime.queue().fail_next(QueueUnavailable())
    status, body = answer(generate(key))
    assert (status, body["code"]) == (503, "queue_unavailable")
    status, usage = answer(api.handler(rest("usage"), CONTEXT))
    assert (status, usage["used"], usage["remainingQuota"]) == (200, 0, 10)


def test_the_same_idempotency_key_after_a_503_gets_a_202_and_then_replays_it(memory_runtime):
    key = uploaded_key(memory_runtime)
    memory_runtime.queue().fail_next(QueueUnavailable())
    assert answer(generate(key, **{"Idempotency-Key": "retry-me"}))[0] == 503
    status, body = answer(generate(key, **{"Idempotency-Key": "retry-me"}))
    assert (status, body["status"]) == (202, "queued")
    assert answer(generate(key, **{"Idempotency-Key": "retry-me"})) == (status, body)
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 1


def test_idempotency_key_replays_and_conflicts(memory_runtime):
    key = uploaded_key(memory_runtime)
    first = answer(generate(key, **{"Idempotency-Key": "abc-123"}))
    again = answer(generate(key, **{"Idempotency-Key": "abc-123"}))
    assert first[0] == again[0] == 202 and first[1]["jobId"] == again[1]["jobId"]
    status, body = answer(generate(key, style="casual", **{"Idempotency-Key": "abc-123"}))
    assert (status, body["code"]) == (409, "idempotency_conflict")
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 1


def test_a_generate_while_the_account_is_being_deleted_is_409_account_deleting(memory_runtime):
    key = uploaded_key(memory_runtime)
    now = memory_runtime.clock().now()
    memory_runtime.uow().users.mark_deleting(SUB, now + timedelta(minutes=5), now)
    status, body = answer(generate(key))
    assert (status, body["code"]) == (409, "account_deleting")
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 0


def test_another_users_job_is_404(memory_runtime):
    key = uploaded_key(memory_runtime)
    job_id = answer(generate(key))[1]["jobId"]
    status, body = answer(
        api.handler(rest("get_job", path=f"/jobs/{job_id}", sub="mallory"), CONTEXT)
    )
    assert (status, body["code"]) == (404, "job_not_found")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "x"},
        {"nextToken": "forged"},
        {"limit": "\u00b2"},  # a superscript two: str.isdigit() says yes, int() says no
        {"limit": "\u0663"},  # an Arabic-Indic three: int() reads it, the contract does not
        {"limit": "9" * 5000},  # int() refuses more than 4,300 digits
    ],
)
def test_bad_paging_parameters_are_400(query):
    status, body = answer(api.handler(rest("list_jobs", query=query), CONTEXT))
    assert (status, body["code"]) == (400, "invalid_request")


def test_usage_and_styles_answer_their_shapes():
    status, usage = answer(api.handler(rest("usage"), CONTEXT))
    assert status == 200
    assert set(usage) == {"date", "used", "limit", "remainingQuota", "resetsAt"}
    status, styles = answer(api.handler(rest("styles"), CONTEXT))
    assert status == 200 and len(styles["styles"]) >= 6


def test_cors_echoes_allowed_origins_only_and_errors_carry_it_too():
    ok = api.handler(rest("styles"), CONTEXT)
    assert headers(ok)["Access-Control-Allow-Origin"] == "https://app.example.com"
    denied = api.handler(
        rest("generate", body={}, headers={"Origin": "https://evil.example"}), CONTEXT
    )
    assert "Access-Control-Allow-Origin" not in headers(denied)
    error = api.handler(rest("generate", sub=None), CONTEXT)
    assert headers(error)["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_a_preflight_is_answered_without_authentication():
    response = api.handler(load("options_preflight"), CONTEXT)
    assert response["statusCode"] in (200, 204)
    allowed = headers(response)["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key"):
        assert header in allowed
    assert "POST" in headers(response)["Access-Control-Allow-Methods"]


def test_an_unknown_route_is_a_json_404():
    event = rest("styles")
    event["path"] = "/nowhere"
    status, body = answer(api.handler(event, CONTEXT))
    assert (status, body["code"]) == (404, "not_found")


@pytest.mark.parametrize("tail", ["\n", "\r\n", "\x00"])
def test_a_path_with_a_trailing_newline_is_no_route_and_deletes_nothing(memory_runtime, tail):
    # Python's `$` matches before a final "\n": "/me\n" was routed as "/me".
    key = uploaded_key(memory_runtime)
    status, accepted = answer(generate(key))
    assert status == 202
    me = rest("usage", path="/me" + tail)
    me["httpMethod"] = me["requestContext"]["httpMethod"] = "DELETE"
    job = rest("get_job", path=f"/jobs/{accepted['jobId']}{tail}")
    usage, styles = rest("usage", path="/usage" + tail), rest("styles", path="/styles" + tail)
    for event in (usage, styles, job, me):
        assert answer(api.handler(event, CONTEXT)) == (
            404,
            {"error": "No such route", "code": "not_found"},
        ), event["path"]
    assert answer(api.handler(rest("list_jobs"), CONTEXT))[1]["items"] != []
    assert key in memory_runtime.uploads().objects


@pytest.mark.parametrize(
    ("name", "path", "method", "allowed"),
    [
        ("generate", "/generate", "PUT", "OPTIONS, POST"),
        ("usage", "/usage", "TRACE", "GET, OPTIONS"),
        ("get_job", "/jobs/job_00000000000000000000000000000001", "PATCH", "DELETE, GET, OPTIONS"),
        ("presign", "/upload/presigned", "GET", "OPTIONS, POST"),
    ],
)
def test_a_known_path_asked_with_another_method_is_405_saying_what_is_allowed(
    name, path, method, allowed
):
    event = rest(name, path=path)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    handler = file_transfer.handler if name == "presign" else api.handler
    response = handler(event, CONTEXT)
    assert answer(response)[0] == 405 and answer(response)[1]["code"] == "method_not_allowed"
    assert headers(response)["Allow"] == allowed


def test_with_every_origin_allowed_the_request_origin_is_echoed(memory_runtime, monkeypatch):
    from profilephoto.entrypoints.aws_lambda import runtime
    from profilephoto.settings import load_settings

    monkeypatch.setenv("ALLOWED_ORIGINS", "*")
    runtime.install(memory_runtime, load_settings())
    for response in (
        api.handler(rest("styles"), CONTEXT),
        api.handler(load("options_preflight"), CONTEXT),
    ):
        assert headers(response)["Access-Control-Allow-Origin"] == "https://app.example.com"


def delete_event(job_id: str, sub: str | None = SUB) -> dict:
    event = rest("get_job", path=f"/jobs/{job_id}", sub=sub)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "DELETE"
    return event


def test_delete_removes_a_finished_job_and_refuses_a_running_one(memory_runtime):
    key = uploaded_key(memory_runtime)
    job_id = answer(generate(key))[1]["jobId"]
    status, body = answer(api.handler(delete_event(job_id), CONTEXT))
    assert (status, body["code"]) == (409, "job_in_progress")
    (message,) = memory_runtime.queue().drain()
    event = load("sqs_batch")
    event["Records"][0]["body"] = json.dumps(message.to_json_dict())
    process.handler(event, CONTEXT)
    assert answer(api.handler(delete_event(job_id, sub="mallory"), CONTEXT))[0] == 404
    assert answer(api.handler(delete_event(job_id), CONTEXT)) == (
        200,
        {"jobId": job_id, "deleted": True},
    )
    assert memory_runtime.results().objects == {}
    assert answer(api.handler(rest("get_job", path=f"/jobs/{job_id}"), CONTEXT))[0] == 404


def cancel_event(job_id: str, sub: str | None = SUB) -> dict:
    event = rest("get_job", path=f"/jobs/{job_id}/cancel", sub=sub)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "POST"
    event["resource"] = "/jobs/{jobId}/cancel"
    return event


def test_cancel_gives_the_unit_back_is_idempotent_and_refuses_finished_or_foreign_jobs(
    memory_runtime,
):
    first = answer(generate(uploaded_key(memory_runtime)))[1]["jobId"]
    second = answer(generate(uploaded_key(memory_runtime)))[1]["jobId"]
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 2
    assert answer(api.handler(cancel_event(first, sub="mallory"), CONTEXT))[1]["code"] == (
        "job_not_found"
    )
    for _ in range(2):
        assert answer(api.handler(cancel_event(first), CONTEXT)) == (
            200,
            {"jobId": first, "status": "canceled"},
        )
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 1
    event = load("sqs_batch")
    event["Records"][0]["body"] = json.dumps(memory_runtime.queue().drain()[-1].to_json_dict())
    process.handler(event, CONTEXT)
    assert answer(api.handler(cancel_event(second), CONTEXT)) == (
        409,
        {
            "error": "The job has already finished; there is nothing to cancel",
            "code": "job_finished",
        },
    )
    assert answer(api.handler(delete_event(first), CONTEXT))[0] == 200


def test_delete_me_answers_202_and_leaves_no_job_and_the_usage_as_it_was(memory_runtime):
    answer(generate(uploaded_key(memory_runtime)))
    (message,) = memory_runtime.queue().drain()
    event = load("sqs_batch")
    event["Records"][0]["body"] = json.dumps(message.to_json_dict())
    process.handler(event, CONTEXT)
    answer(generate(uploaded_key(memory_runtime)))  # one still queued
    me = rest("usage", path="/me")
    me["httpMethod"] = me["requestContext"]["httpMethod"] = "DELETE"
    me["resource"] = "/me"
    assert answer(api.handler(me, CONTEXT)) == (202, {"deleted": True})
    assert answer(api.handler(rest("list_jobs"), CONTEXT))[1]["items"] == []
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 1
    assert memory_runtime.uploads().objects == {} and memory_runtime.results().objects == {}


def test_the_service_wide_cap_is_503_capacity_exhausted_until_midnight_utc(memory_runtime):
    memory_runtime.config.override(ServiceConfig(global_daily_limit=1))
    key = uploaded_key(memory_runtime)
    assert generate(key)["statusCode"] == 202
    response = generate(key)
    status, body = answer(response)
    assert (status, body["code"]) == (503, "capacity_exhausted")
    now = memory_runtime.clock().now()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert int(headers(response)["Retry-After"]) == math.ceil((midnight - now).total_seconds())
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 1  # nothing charged
