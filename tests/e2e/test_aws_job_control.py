"""Cancel and variants end to end: the AWS adapters on moto's server, the real google-genai SDK
talking HTTP to the fake Gemini endpoint."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image, ImageOps

from profilephoto.entrypoints.aws_lambda import api, process, websocket
from tests.e2e.aws_stack import (
    Stack,
    deployed,
    photo,
    pushed_messages,
    receive_batch,
    upload,
)
from tests.e2e.lambda_events import CONTEXT, SUB, answer, load, rest
from tests.integration.fake_gemini import FakeGemini, finished_without_image, image_reply

pytestmark = pytest.mark.slow

DEADLINE = 90.0  # generous: only bounds a hang on a loaded machine, never asserts speed


def png(width: int, height: int) -> bytes:
    """A model's answer in the shape asked for: the user's own face, so the likeness check
    (docs/api.md §4.7) passes it at once."""
    with Image.open(io.BytesIO(photo())) as opened:
        face = ImageOps.fit(opened.convert("RGB"), (width, height))
    buffer = io.BytesIO()
    face.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def model() -> Iterator[FakeGemini]:
    fake = FakeGemini(default=image_reply(png(512, 640))).start()
    yield fake
    fake.stop()


@pytest.fixture
def stack(endpoint: str, model: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with deployed(
        endpoint,
        monkeypatch,
        DAILY_LIMIT="5",
        GEMINI_API_KEY="test-key",
        GOOGLE_GEMINI_BASE_URL=model.url,
        GEMINI_TIMEOUT_SECONDS="300",
    ) as stack:
        yield stack


def generate(**body: object) -> tuple[int, dict]:
    request = {"fileKey": upload(photo()), "style": "professional", **body}
    return answer(api.handler(rest("generate", body=request), CONTEXT))


def cancel(job_id: str) -> tuple[int, dict]:
    event = rest("get_job", path=f"/jobs/{job_id}/cancel")
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "POST"
    event["resource"] = "/jobs/{jobId}/cancel"
    return answer(api.handler(event, CONTEXT))


def job(job_id: str) -> dict:
    return answer(api.handler(rest("get_job", path=f"/jobs/{job_id}"), CONTEXT))[1]


def used() -> int:
    return int(answer(api.handler(rest("usage"), CONTEXT))[1]["used"])


def results(stack: Stack, job_id: str) -> list[str]:
    listed = stack.client("s3").list_objects_v2(
        Bucket="pp-results", Prefix=f"results/{SUB}/{job_id}/"
    )
    return sorted(item["Key"] for item in listed.get("Contents", []))


def images_counted(stack: Stack) -> int:
    item = stack.client("dynamodb").get_item(TableName="Users", Key={"userId": {"S": SUB}})
    return int(item.get("Item", {}).get("totalImagesGenerated", {"N": "0"})["N"])


def pushed_statuses() -> list[str]:
    connection_id = load("ws_connect")["requestContext"]["connectionId"]
    return [message["status"] for message in pushed_messages(connection_id)]


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_job_canceled_while_queued_gives_its_units_back_and_is_never_generated(
    stack: Stack, model: FakeGemini
):
    status, accepted = generate(count=2)
    assert (status, accepted["remainingQuota"]) == (202, 3)
    assert cancel(accepted["jobId"]) == (200, {"jobId": accepted["jobId"], "status": "canceled"})
    assert cancel(accepted["jobId"])[0] == 200  # idempotent
    assert used() == 0

    assert process.handler(receive_batch(stack), CONTEXT) == {"batchItemFailures": []}
    assert model.received == []
    assert results(stack, accepted["jobId"]) == []
    assert job(accepted["jobId"])["status"] == "canceled"
    deleted = rest("get_job", path=f"/jobs/{accepted['jobId']}")
    deleted["httpMethod"] = deleted["requestContext"]["httpMethod"] = "DELETE"
    assert answer(api.handler(deleted, CONTEXT))[0] == 200


def test_a_job_canceled_while_the_model_answers_slowly_stores_counts_and_pushes_nothing(
    stack: Stack, model: FakeGemini
):
    assert websocket.handler(load("ws_connect"), CONTEXT)["statusCode"] == 200
    model.default.delay = 300  # released by model.stop() below, long before it runs out
    status, accepted = generate()
    assert status == 202
    batch = receive_batch(stack)
    answers: list[dict] = []
    worker = threading.Thread(target=lambda: answers.append(process.handler(batch, CONTEXT)))
    worker.start()
    wait_until(lambda: model.received, "the model call")

    assert cancel(accepted["jobId"])[0] == 200
    assert used() == 0
    model.stop()  # the model answers now, after the cancel
    worker.join(DEADLINE)
    assert not worker.is_alive()

    assert answers == [{"batchItemFailures": []}]
    assert job(accepted["jobId"])["status"] == "canceled"
    assert results(stack, accepted["jobId"]) == []
    assert images_counted(stack) == 0
    assert used() == 0
    # The claim was pushed before the cancel (docs/api.md: processing once, at the claim);
    # nothing after the cancel but the cancel itself.
    assert pushed_statuses() == ["processing", "canceled"]


def test_three_variants_with_one_blocked_complete_with_two_and_refund_one(
    stack: Stack, model: FakeGemini
):
    model.then(
        image_reply(png(512, 640)),
        finished_without_image("IMAGE_SAFETY"),
        image_reply(png(512, 640)),
    )
    status, accepted = generate(count=3, aspectRatio="4:5")
    assert (status, accepted["remainingQuota"]) == (202, 2)
    batch = receive_batch(stack)
    assert json.loads(batch["Records"][0]["body"])["count"] == 3
    assert process.handler(batch, CONTEXT) == {"batchItemFailures": []}

    done = job(accepted["jobId"])
    assert (done["status"], done["count"], done["aspectRatio"]) == ("completed", 3, "4:5")
    assert len(done["resultUrls"]) == 2 and done["resultUrl"] == done["resultUrls"][0]
    assert done["metadata"]["failedVariants"] == 1
    assert len(model.received) == 3
    assert {r.body["generationConfig"]["imageConfig"]["aspectRatio"] for r in model.received} == {
        "4:5"
    }
    assert len(results(stack, accepted["jobId"])) == 2
    assert images_counted(stack) == 2
    assert used() == 2

    # A duplicate delivery adds no object, no count and no model call.
    assert process.handler(batch, CONTEXT) == {"batchItemFailures": []}
    assert len(results(stack, accepted["jobId"])) == 2
    assert (images_counted(stack), used(), len(model.received)) == (2, 2, 3)
