"""The five handlers over the AWS adapters on moto's server, with real HTTP for the upload."""

from __future__ import annotations

import io
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from PIL import Image

from profilephoto.entrypoints.aws_lambda import api, file_transfer, process, websocket
from tests.e2e.aws_stack import (
    REGION,
    Stack,
    deployed,
    generate,
    photo,
    pushed_messages,
    receive_batch,
    upload,
)
from tests.e2e.lambda_events import CONTEXT, SUB, answer, headers, load, rest
from tests.photos import faceless_jpeg

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with deployed(endpoint, monkeypatch, DAILY_LIMIT="3") as stack:
        yield stack


def test_presign_put_generate_process_complete_notify(stack: Stack):
    assert websocket.handler(load("ws_connect"), CONTEXT)["statusCode"] == 200
    key = upload(photo())
    head = stack.client("s3").head_object(Bucket="pp-uploads", Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    status, accepted = answer(generate(key))
    assert (status, accepted["status"], accepted["remainingQuota"]) == (202, "queued", 2)

    batch = receive_batch(stack)
    assert [json.loads(r["body"]) for r in batch["Records"]] == [
        {"jobId": accepted["jobId"], "userId": SUB, "fileKey": key, "style": "professional"}
    ]
    assert process.handler(batch, CONTEXT) == {"batchItemFailures": []}

    status, job = answer(api.handler(rest("get_job", path=f"/jobs/{accepted['jobId']}"), CONTEXT))
    assert (status, job["status"]) == (200, "completed")
    assert job["metadata"]["model"] == "offline-stylizer"
    result = stack.client("s3").get_object(
        Bucket="pp-results", Key=f"results/{SUB}/{accepted['jobId']}/0.png"
    )
    assert result["ServerSideEncryption"] == "AES256"
    assert Image.open(io.BytesIO(result["Body"].read())).size == (1024, 1024)
    with urllib.request.urlopen(job["resultUrl"]) as download:
        assert Image.open(io.BytesIO(download.read())).format == "PNG"
    users = stack.client("dynamodb").get_item(TableName="Users", Key={"userId": {"S": SUB}})
    assert users["Item"]["totalImagesGenerated"] == {"N": "1"}
    connection_id = load("ws_connect")["requestContext"]["connectionId"]
    started, pushed = pushed_messages(connection_id)
    assert (started["jobId"], started["status"]) == (accepted["jobId"], "processing")
    assert (pushed["type"], pushed["jobId"], pushed["status"]) == (
        "jobStatus",
        accepted["jobId"],
        "completed",
    )
    assert pushed["resultUrl"]

    # A duplicate delivery of the same message changes nothing.
    replay = {"Records": batch["Records"]}
    assert process.handler(replay, CONTEXT) == {"batchItemFailures": []}
    users = stack.client("dynamodb").get_item(TableName="Users", Key={"userId": {"S": SUB}})
    assert users["Item"]["totalImagesGenerated"] == {"N": "1"}


def test_a_photo_of_no_one_is_rejected_before_the_model_and_refunded_on_aws(stack: Stack):
    assert websocket.handler(load("ws_connect"), CONTEXT)["statusCode"] == 200
    status, accepted = answer(generate(upload(faceless_jpeg())))
    assert (status, accepted["remainingQuota"]) == (202, 2)
    backend = apigatewaymanagementapi_backends["123456789012"][REGION]
    backend.connections.clear()  # moto appends every post to a connection, test after test

    assert process.handler(receive_batch(stack), CONTEXT) == {"batchItemFailures": []}

    status, job = answer(api.handler(rest("get_job", path=f"/jobs/{accepted['jobId']}"), CONTEXT))
    assert (job["status"], job["error"]["code"]) == ("failed", "photo_rejected")
    assert (job["error"]["reason"], job["error"]["photoIndex"]) == ("no_face", 0)
    assert "not charged" in job["error"]["message"]
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 0
    listed = stack.client("s3").list_objects_v2(Bucket="pp-results")
    assert listed.get("KeyCount", 0) == 0
    connection_id = load("ws_connect")["requestContext"]["connectionId"]
    assert [m["status"] for m in pushed_messages(connection_id)] == ["processing", "failed"]
    pushed = pushed_messages(connection_id)[-1]
    assert (pushed["status"], pushed["error"]["reason"]) == ("failed", "no_face")


def test_every_contract_error_on_aws(stack: Stack):
    key = upload(photo())
    other = key.replace(SUB, "someone-else")
    prefix, name = key.rsplit("/", 1)
    missing = f"{prefix}/{name[:14]}{'e' * 32}.jpg"
    expectations = [
        (
            rest("presign", body={"fileName": "a.gif", "contentType": "image/gif", "fileSize": 5}),
            file_transfer.handler,
            400,
            "unsupported_type",
        ),
        (
            rest(
                "presign",
                body={"fileName": "a.jpg", "contentType": "image/jpeg", "fileSize": 10_485_761},
            ),
            file_transfer.handler,
            400,
            "file_too_large",
        ),
        (rest("generate", body={"fileKey": key, "style": "x"}), api.handler, 400, "unknown_style"),
        (rest("generate", sub=None), api.handler, 401, "unauthorized"),
        (
            rest("generate", body={"fileKey": other, "style": "casual"}),
            api.handler,
            403,
            "forbidden",
        ),
        (
            rest("generate", body={"fileKey": missing, "style": "casual"}),
            api.handler,
            404,
            "upload_not_found",
        ),
        (rest("get_job", path="/jobs/job_" + "0" * 32), api.handler, 404, "job_not_found"),
        (rest("list_jobs", query={"nextToken": "forged"}), api.handler, 400, "invalid_request"),
    ]
    for event, handler, status, code in expectations:
        got_status, body = answer(handler(event, CONTEXT))
        assert (got_status, body["code"]) == (status, code), code


def test_quota_429_and_queue_outage_503_leave_usage_right(stack: Stack):
    key = upload(photo())
    stack.client("sqs").delete_queue(QueueUrl=stack.queue_url)
    status, body = answer(generate(key))
    assert (status, body["code"]) == (503, "queue_unavailable")
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 0
    stack.client("sqs").create_queue(QueueName="pp-jobs")
    for _ in range(3):
        assert generate(key)["statusCode"] == 202
    refused = generate(key)
    status, body = answer(refused)
    assert (status, body["code"], body["remainingQuota"]) == (429, "quota_exceeded", 0)
    assert int(headers(refused)["Retry-After"]) > 0


def test_an_idempotent_replay_on_dynamodb_charges_nothing(stack: Stack):
    key = upload(photo())
    first = answer(generate(key, **{"Idempotency-Key": "same"}))
    again = answer(generate(key, **{"Idempotency-Key": "same"}))
    assert first[1]["jobId"] == again[1]["jobId"]
    assert answer(api.handler(rest("usage"), CONTEXT))[1]["used"] == 1
    conflict = api.handler(
        rest(
            "generate",
            body={"fileKey": key, "style": "casual"},
            headers={"Idempotency-Key": "same"},
        ),
        CONTEXT,
    )
    assert answer(conflict)[0] == 409


def test_a_user_deletes_a_finished_job_and_its_photos_leave_both_buckets(stack: Stack):
    key = upload(photo())
    job_id = answer(generate(key))[1]["jobId"]
    assert process.handler(receive_batch(stack), CONTEXT) == {"batchItemFailures": []}
    event = rest("get_job", path=f"/jobs/{job_id}")
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "DELETE"
    assert answer(api.handler(event, CONTEXT)) == (200, {"jobId": job_id, "deleted": True})
    s3 = stack.client("s3")
    for bucket in ("pp-uploads", "pp-results"):
        assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert answer(api.handler(rest("get_job", path=f"/jobs/{job_id}"), CONTEXT))[0] == 404


def test_a_transient_failure_sets_the_messages_visibility_to_the_backoff(stack: Stack):
    from moto.sqs.models import sqs_backends

    from profilephoto.adapters.memory import ScriptedImageGenerator
    from profilephoto.domain.errors import TransientGenerationError

    sqs = stack.client("sqs")
    sqs.set_queue_attributes(QueueUrl=stack.queue_url, Attributes={"VisibilityTimeout": "1080"})
    stack.container.generator.override(ScriptedImageGenerator([TransientGenerationError("503")]))
    job_id = answer(generate(upload(photo())))[1]["jobId"]
    batch = receive_batch(stack)

    before = time.time()
    response = process.handler(batch, CONTEXT)
    after = time.time()

    assert response == {"batchItemFailures": [{"itemIdentifier": batch["Records"][0]["messageId"]}]}
    [message] = sqs_backends["123456789012"][REGION].queues["pp-jobs"]._messages
    assert json.loads(message.body)["jobId"] == job_id
    # The backoff's first step is 5 s stretched by < 50 %; the queue's timeout is 1080 s.
    assert before + 5 <= message.visible_at / 1000 <= after + 8
