"""The SQS, WebSocket and scheduled handlers with realistic events, on the memory runtime."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import TransientGenerationError
from profilephoto.domain.models import Identity, JobStatus
from profilephoto.entrypoints.aws_lambda import process, reconcile, websocket
from tests.e2e.lambda_events import CONTEXT, SUB, load

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 512
ME = Identity(user_id=SUB)


def queued_message(container) -> dict:
    services = container.services
    from profilephoto.domain.commands import UploadRequest

    ticket = services.upload_service().request_upload(
        ME, UploadRequest(file_name="a.jpg", content_type="image/jpeg", file_size=len(JPEG))
    )
    container.uploads().write(ticket.file_key, JPEG, "image/jpeg")
    services.generation_service().request_generation(
        ME, GenerationRequest(ticket.file_key, "professional")
    )
    (message,) = container.queue().drain()
    return message.to_json_dict()


def batch(*bodies: object, receive_count: int = 1) -> dict:
    template = load("sqs_batch")["Records"][0]
    records = []
    for n, body in enumerate(bodies):
        record = copy.deepcopy(template)
        record["messageId"] = f"msg-{n}"
        record["body"] = body if isinstance(body, str) else json.dumps(body)
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        records.append(record)
    return {"Records": records}


def test_a_batch_reports_only_the_records_to_retry(memory_runtime):
    good, flaky = queued_message(memory_runtime), queued_message(memory_runtime)
    memory_runtime.generator().then(None, TransientGenerationError("503"))
    response = process.handler(batch(good, flaky), CONTEXT)
    assert len(response["batchItemFailures"]) == 1
    statuses = sorted(memory_runtime.uow().jobs.get(m["jobId"]).status for m in (good, flaky))
    assert statuses == [JobStatus.COMPLETED, JobStatus.PROCESSING]


def test_a_batch_whose_every_record_must_retry_reports_them_all(memory_runtime):
    first, second = queued_message(memory_runtime), queued_message(memory_runtime)
    memory_runtime.generator().then(
        TransientGenerationError("429"), TransientGenerationError("429")
    )
    response = process.handler(batch(first, second), CONTEXT)
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == ["msg-0", "msg-1"]


def test_malformed_and_forged_messages_are_acknowledged_and_change_nothing(memory_runtime):
    real = queued_message(memory_runtime)
    forged = dict(real, userId="mallory")
    response = process.handler(batch("not json", {"jobId": 1}, forged), CONTEXT)
    assert response == {"batchItemFailures": []}
    assert memory_runtime.uow().jobs.get(real["jobId"]).status is JobStatus.QUEUED


def test_a_duplicate_delivery_changes_nothing(memory_runtime):
    message = queued_message(memory_runtime)
    process.handler(batch(message), CONTEXT)
    before = memory_runtime.uow().jobs.get(message["jobId"])
    assert process.handler(batch(message, receive_count=2), CONTEXT) == {"batchItemFailures": []}
    assert memory_runtime.uow().jobs.get(message["jobId"]) == before
    assert memory_runtime.uow().users.get(SUB).total_images_generated == 1
    # The first delivery's claim and end were pushed; the duplicate pushes nothing.
    pushed = [note.status for _, note in memory_runtime.notifier().notifications]
    assert pushed == [JobStatus.PROCESSING, JobStatus.COMPLETED]


def test_the_last_delivery_fails_and_refunds_instead_of_retrying(memory_runtime):
    message = queued_message(memory_runtime)
    memory_runtime.generator().then(*[TransientGenerationError("503")] * 3)
    for delivery in (1, 2):
        retried = process.handler(batch(message, receive_count=delivery), CONTEXT)
        assert retried == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    response = process.handler(batch(message, receive_count=3), CONTEXT)
    assert response == {"batchItemFailures": []}
    job = memory_runtime.uow().jobs.get(message["jobId"])
    assert (job.status, job.error.code) == (JobStatus.FAILED, "generation_failed")
    assert memory_runtime.services.query_service().get_usage(ME).used == 0


def test_websocket_connect_disconnect_and_ping(memory_runtime):
    connections = memory_runtime.uow().connections
    assert websocket.handler(load("ws_connect"), CONTEXT)["statusCode"] == 200
    (stored,) = connections.list_for_user(SUB)
    assert stored.connection_id == "Cx1a2cZ5oAMCKrA="
    assert stored.ttl > int(stored.connected_at.timestamp())
    pong = websocket.handler(load("ws_default"), CONTEXT)
    assert json.loads(pong["body"])["type"] == "pong"
    assert websocket.handler(load("ws_disconnect"), CONTEXT)["statusCode"] == 200
    assert connections.list_for_user(SUB) == []


@pytest.mark.parametrize("authorizer", [{}, {"principalId": ""}, None])
def test_websocket_connect_without_identity_is_refused(memory_runtime, authorizer):
    event = load("ws_connect")
    event["requestContext"]["authorizer"] = authorizer
    assert websocket.handler(event, CONTEXT)["statusCode"] == 401
    assert memory_runtime.uow().connection_records == {}


def test_the_scheduled_sweep_requeues_a_lost_job(memory_runtime):
    message = queued_message(memory_runtime)  # drained: as if the message were lost
    memory_runtime.clock().advance(timedelta(minutes=20))
    assert reconcile.handler(load("schedule"), CONTEXT) == {"requeued": 1, "failed": 0}
    assert [m.job_id for m in memory_runtime.queue().sent] == [message["jobId"]]


def test_a_sweep_that_found_nothing_stays_out_of_the_log_and_one_that_acted_is_logged(
    memory_runtime, caplog
):
    def sweep_lines() -> list[str]:
        lines = [r.levelname for r in caplog.records if r.getMessage() == "sweep done"]
        caplog.clear()
        return lines

    caplog.set_level("DEBUG", logger="profilephoto")
    assert reconcile.handler(load("schedule"), CONTEXT) == {"requeued": 0, "failed": 0}
    assert sweep_lines() == ["DEBUG"]
    queued_message(memory_runtime)
    memory_runtime.clock().advance(timedelta(minutes=20))
    assert reconcile.handler(load("schedule"), CONTEXT)["requeued"] == 1
    assert sweep_lines() == ["INFO"]


def emf_metrics(output: str) -> dict[str, dict]:
    """Metric name -> the EMF document that carries it, from the handler's stdout."""
    found: dict[str, dict] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                found[metric["Name"]] = document
    return found


def test_the_worker_emits_latency_success_and_failures_by_code_as_emf(memory_runtime, capsys):
    from profilephoto.domain.errors import ContentBlocked, GenerationFailed

    ok, blocked, broken = (queued_message(memory_runtime) for _ in range(3))
    memory_runtime.generator().then(None, ContentBlocked("no"))
    process.handler(batch(ok), CONTEXT)
    process.handler(batch(blocked), CONTEXT)
    user_caused = emf_metrics(capsys.readouterr().out)
    assert {"GenerationSucceeded", "GenerationLatency", "JobsFailed"} <= set(user_caused)
    assert user_caused["JobsFailed"]["code"] == "content_blocked"
    assert "GenerationFailed" not in user_caused  # a blocked photo is not a model failure

    memory_runtime.generator().then(GenerationFailed("text only"))
    process.handler(batch(broken), CONTEXT)
    ours = emf_metrics(capsys.readouterr().out)
    assert ours["JobsFailed"]["code"] == "generation_failed"
    assert ours["GenerationFailed"]["service"] == "profilephoto"
    assert ours["GenerationFailed"]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ProfilePhoto"


def test_a_rejected_photo_counts_by_reason_and_not_as_a_model_failure(memory_runtime, capsys):
    from profilephoto.adapters.memory.photos import portrait_measures

    memory_runtime.inspector().then(portrait_measures(faces=()))
    process.handler(batch(queued_message(memory_runtime)), CONTEXT)
    emitted = emf_metrics(capsys.readouterr().out)
    assert emitted["PhotosRejected"]["reason"] == "no_face"
    assert emitted["JobsFailed"]["code"] == "photo_rejected"
    assert "GenerationFailed" not in emitted  # the alarm watches our failures, not photos
    assert memory_runtime.generator().calls == []


@pytest.mark.parametrize(
    ("error", "metric"),
    [("ModelUnavailable", "ModelUnavailable"), ("ModelAccessDenied", "ModelAccessDenied")],
)
def test_an_operator_error_emits_its_own_metric_the_alarm_watches(
    memory_runtime, capsys, error, metric
):
    from profilephoto.domain import errors

    message = queued_message(memory_runtime)
    memory_runtime.generator().then(getattr(errors, error)())
    process.handler(batch(message), CONTEXT)
    emitted = emf_metrics(capsys.readouterr().out)
    assert emitted[metric]["service"] == "profilephoto"
    assert emitted[metric]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ProfilePhoto"
    assert "GenerationFailed" in emitted  # refunded, and counted as ours
    job = memory_runtime.uow().jobs.get(message["jobId"])
    assert job.error.code == getattr(errors, error).code


def throttled_429() -> TransientGenerationError:
    return TransientGenerationError(
        "429 RESOURCE_EXHAUSTED", retry_after=timedelta(seconds=53), throttled=True
    )


def test_a_throttled_record_is_postponed_and_the_next_one_handed_back_uncalled(
    memory_runtime, capsys
):
    first, second = queued_message(memory_runtime), queued_message(memory_runtime)
    memory_runtime.generator().then(throttled_429())

    assert process.handler(batch(first), CONTEXT)["batchItemFailures"]
    throttled = emf_metrics(capsys.readouterr().out)
    assert process.handler(batch(second), CONTEXT)["batchItemFailures"]
    paused = emf_metrics(capsys.readouterr().out)

    assert len(memory_runtime.generator().calls) == 1
    [(receipt, delay), (_, pause)] = memory_runtime.queue().postponed
    assert receipt == load("sqs_batch")["Records"][0]["receiptHandle"]
    assert timedelta(seconds=53) <= delay < timedelta(seconds=80)
    assert timedelta(seconds=53) <= pause < timedelta(seconds=80)
    assert throttled["ModelCallsThrottled"]["ModelCallsThrottled"] == [1.0]
    assert throttled["RetryDelay"]["RetryDelay"][0] == delay.total_seconds()
    assert "ModelCallsPaused" in paused and "ModelCallsThrottled" not in paused
    assert memory_runtime.uow().jobs.get(second["jobId"]).attempts == 0


def test_every_metric_an_alarm_watches_is_one_the_worker_emits(memory_runtime, capsys):
    from cfnlint.decode import decode

    from profilephoto.domain.errors import GenerationFailed, ModelAccessDenied, ModelUnavailable
    from tests.integration.test_template import TEMPLATE_PATH

    template, _ = decode(str(TEMPLATE_PATH))
    watched = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        alarm = resource["Properties"]
        stats = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
        for metric in [alarm, *stats]:
            if metric.get("Namespace") == "ProfilePhoto":
                watched.add(metric["MetricName"])

    outcomes = [
        None,
        GenerationFailed("no image"),
        ModelUnavailable(),
        ModelAccessDenied(),
        throttled_429(),
    ]
    messages = [queued_message(memory_runtime) for _ in outcomes]
    memory_runtime.generator().then(*outcomes)
    for message in messages:
        process.handler(batch(message), CONTEXT)
    emitted = emf_metrics(capsys.readouterr().out)

    assert watched >= {"GenerationFailed", "ModelCallsThrottled"}
    assert watched <= set(emitted)
