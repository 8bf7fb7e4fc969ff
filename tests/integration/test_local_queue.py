"""The durable SQLite queue and the worker that feeds it to an SQS batch handler."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
from profilephoto.adapters.local.worker import QueueWorker, lambda_batch_handler, sqs_event
from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.models import JobMessage


def message(n: int) -> JobMessage:
    return JobMessage(
        job_id=f"job_{n:032x}", user_id="alice", file_key=f"uploads/alice/{n}.jpg", style="anime"
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "queue.sqlite3"


@pytest.fixture
def queue(path: Path):
    q = SqliteJobQueue(path, visibility_timeout=30, max_receives=3)
    yield q
    q.close()


def at(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_received_message_is_hidden_until_its_visibility_timeout_ends(queue):
    queue.send(message(1))
    [first] = queue.receive(10)
    assert (first.body, first.receive_count) == (message(1), 1)
    assert queue.receive(10, now=at(29)) == []
    [again] = queue.receive(10, now=at(31))
    assert (again.message_id, again.body, again.receive_count) == (first.message_id, message(1), 2)


def test_messages_are_received_oldest_first_up_to_the_batch_size(queue):
    for n in range(5):
        queue.send(message(n))
    batch = queue.receive(3)
    assert [m.body for m in batch] == [message(0), message(1), message(2)]
    assert [m.body for m in queue.receive(10)] == [message(3), message(4)]


def test_a_deleted_message_is_never_delivered_again(queue):
    queue.send(message(1))
    [received] = queue.receive(10)
    queue.delete(received.message_id)
    queue.delete(received.message_id)
    assert queue.receive(10, now=at(3600)) == []
    assert queue.depth() == 0


def test_a_released_message_is_visible_again_at_once_or_after_its_delay(queue):
    queue.send(message(1))
    [received] = queue.receive(10)
    queue.release(received.message_id)
    assert [m.receive_count for m in queue.receive(10)] == [2]
    queue.release(received.message_id, delay=10)
    assert queue.receive(10, now=at(5)) == []
    assert [m.receive_count for m in queue.receive(10, now=at(11))] == [3]


def test_a_message_survives_closing_and_reopening_the_file(path):
    first = SqliteJobQueue(path, visibility_timeout=30)
    first.send(message(1))
    [taken] = first.receive(10)
    first.close()  # the process dies with the message in flight
    second = SqliteJobQueue(path, visibility_timeout=30)
    [redelivered] = second.receive(10, now=at(31))
    assert (redelivered.body, redelivered.receive_count) == (message(1), 2)
    assert redelivered.message_id == taken.message_id
    second.close()


def test_a_message_received_max_times_goes_to_the_dead_letter_table(queue):
    queue.send(message(1))
    counts = [[m.receive_count for m in queue.receive(10, now=at(31 * n))] for n in range(3)]
    assert counts == [[1], [2], [3]]
    queue.send(message(2))
    assert [m.body for m in queue.receive(10, now=at(31 * 3))] == [message(2)]
    [dead] = queue.dead_letters()
    assert (dead.body, dead.receive_count) == (message(1), 3)
    assert [m.body for m in queue.receive(10, now=at(31 * 9))] == [message(2)]
    assert queue.dead_letters() == [dead]


def test_an_unreadable_message_is_buried_instead_of_blocking_the_queue(queue, path):
    queue.send(message(1))
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("UPDATE queue_messages SET body = 'not json'")
    queue.send(message(2))
    assert [m.body for m in queue.receive(10)] == [message(2)]
    assert raw.execute("SELECT COUNT(*) FROM queue_dead_letters").fetchone() == (1,)
    assert queue.dead_letters() == []
    raw.close()


def test_racing_receivers_never_get_the_same_message(queue):
    for n in range(40):
        queue.send(message(n))
    got: list[str] = []
    lock = threading.Lock()

    def drain() -> None:
        while batch := queue.receive(3):
            with lock:
                got.extend(m.message_id for m in batch)

    threads = [threading.Thread(target=drain) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == len(set(got)) == 40


# --- the worker -------------------------------------------------------------------------


def test_the_event_has_the_shape_of_an_sqs_trigger(queue):
    queue.send(message(7))
    [record] = sqs_event(queue.receive(10))["Records"]
    assert json.loads(record["body"]) == message(7).to_json_dict()
    assert record["eventSource"] == "aws:sqs"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["receiptHandle"] == record["messageId"]


def test_the_worker_deletes_successes_and_releases_named_failures(queue):
    for n in range(3):
        queue.send(message(n))
    seen: list[dict] = []

    def handler(event, context):
        assert context.function_name  # Powertools reads the Lambda context
        seen.append(event)
        failed = [
            r for r in event["Records"] if json.loads(r["body"])["jobId"] == message(1).job_id
        ]
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in failed]}

    worker = QueueWorker(queue, lambda_batch_handler(handler), retry_delay=0)
    assert worker.run_once() == 3
    [retried] = queue.receive(10)
    assert (retried.body, retried.receive_count) == (message(1), 2)
    assert queue.depth() == 1


@pytest.mark.parametrize(
    "outcome",
    [
        RuntimeError("handler crashed"),
        {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"id": "wrong key name"}]},
        {"batchItemFailures": ["not an object"]},
        ["not", "a", "response"],
    ],
    ids=["crash", "unknown-id", "empty-id", "bad-key", "bad-item", "bad-response"],
)
def test_a_crash_or_an_invalid_response_retries_the_whole_batch(queue, outcome):
    for n in range(2):
        queue.send(message(n))

    def handler(event):
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    QueueWorker(queue, handler, retry_delay=0).run_once()
    assert sorted(m.receive_count for m in queue.receive(10)) == [2, 2]


def test_an_empty_or_missing_response_means_every_item_succeeded(queue):
    queue.send(message(1))
    queue.send(message(2))
    responses = iter([None, {"batchItemFailures": []}])
    worker = QueueWorker(queue, lambda event: next(responses), batch_size=1)
    assert worker.run_once() == 1
    assert worker.run_once() == 1
    assert queue.depth() == 0


def test_worker_threads_process_everything_and_stop_cleanly(queue):
    for n in range(20):
        queue.send(message(n))
    done: list[str] = []
    lock = threading.Lock()

    def handler(event):
        with lock:
            done.extend(json.loads(r["body"])["jobId"] for r in event["Records"])
        return {"batchItemFailures": []}

    worker = QueueWorker(queue, handler, threads=3, poll_interval=0.01, batch_size=4)
    worker.start()
    deadline = time.monotonic() + 10
    while queue.depth() and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    assert sorted(done) == sorted(message(n).job_id for n in range(20))
    assert queue.depth() == 0
    queue.send(message(99))
    time.sleep(0.05)
    assert queue.depth() == 1  # stopped workers receive nothing


def test_a_transient_failure_comes_back_after_the_backoff_not_the_visibility_timeout(
    tmp_path, monkeypatch
):
    from profilephoto.adapters.memory import ScriptedImageGenerator
    from profilephoto.containers.local import build_local_container
    from profilephoto.domain.errors import TransientGenerationError
    from profilephoto.domain.models import Identity
    from profilephoto.entrypoints.aws_lambda import process, runtime
    from profilephoto.settings import load_settings

    monkeypatch.setenv("QUALITY_CHECK", "off")  # a plain test photo has no face to find
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    settings = load_settings()
    local = build_local_container(settings, tmp_path)
    local.generator.override(ScriptedImageGenerator([TransientGenerationError("503 UNAVAILABLE")]))
    runtime.install(local, settings)
    try:
        alice = Identity(user_id="alice")
        key = "uploads/alice/1764500000000_" + "a" * 32 + ".jpg"
        local.uploads().write(key, _jpeg(), "image/jpeg")
        job = local.services.generation_service().request_generation(
            alice, GenerationRequest(key, "professional")
        )
        queue = local.queue()
        assert queue.visibility_timeout > 300  # the lease's length: what a retry waited before

        before = datetime.now(UTC)
        QueueWorker(queue, lambda_batch_handler(process.handler)).run_once()
        after = datetime.now(UTC)

        first_retry = timedelta(seconds=5)  # the backoff's first step, stretched by < 50 %
        assert queue.receive(10, now=before + first_retry - timedelta(seconds=0.1)) == []
        [again] = queue.receive(10, now=after + first_retry * 1.5 + timedelta(seconds=0.1))
        assert (again.body.job_id, again.receive_count) == (job.job_id, 2)
    finally:
        runtime.install(None)
        local.queue().close()
        local.uow().close()


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (180, 140, 120)).save(buffer, "JPEG")
    return buffer.getvalue()
