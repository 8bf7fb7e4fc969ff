"""Two SQS batches handled at once, as the local server's two worker threads do, stay apart."""

from __future__ import annotations

import sys
import threading

from profilephoto.domain.config import ServiceConfig
from profilephoto.domain.errors import TransientGenerationError
from profilephoto.entrypoints.aws_lambda import process
from tests.e2e.lambda_events import CONTEXT
from tests.e2e.test_worker_handlers import batch, queued_message

ROUNDS = 15
RECORDS = 4


def test_each_of_two_concurrent_batches_reports_exactly_its_own_records_to_retry(memory_runtime):
    memory_runtime.config.override(ServiceConfig(daily_limit=2 * ROUNDS * RECORDS))
    memory_runtime.generator().then(*[TransientGenerationError("503")] * (2 * ROUNDS * RECORDS))
    # Fresh jobs every round: a job whose attempts are spent is failed and no longer retried.
    messages = {
        (name, round): [queued_message(memory_runtime) for _ in range(RECORDS)]
        for name in ("a", "b")
        for round in range(ROUNDS)
    }
    mixed: list[object] = []

    def worker(name: str) -> None:
        for round in range(ROUNDS):
            event = batch(*messages[name, round])
            for record in event["Records"]:
                record["messageId"] = f"{name}-{record['messageId']}"
            answer = process.handler(event, CONTEXT)
            reported = sorted(f["itemIdentifier"] for f in answer["batchItemFailures"])
            if reported != sorted(r["messageId"] for r in event["Records"]):
                mixed.append(reported)

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        sys.setswitchinterval(before)
    assert mixed == []
