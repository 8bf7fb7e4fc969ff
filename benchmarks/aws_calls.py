"""AWS API calls per flow, counted with botocore's event hooks on moto (in-process)."""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from profilephoto.adapters.aws.dynamodb_pauses import PAUSE_ID

# The seed (the original design) made about 7 calls each (see README, Benchmarks).
SEED = {"generate": "7", "process": "7"}
# What `make bench` printed on 2026-12-03, before issue 26 took the worker's two cancel
# checks (GetItem) out of the warm path.
TODAY = {
    "upload (cold)": "2",
    "generate (cold)": "6",
    "process (1 connection, cold)": "7+1",
    "upload (warm)": "1",
    "generate (warm)": "4",
    "process (1 connection, warm)": "7+1",
}
# process: 4 calls, and per push (processing, then the end) a Query and one post per socket.
TARGETS = {"upload": "0", "generate": "4", "process": "6+2"}
SOCKET_CALL = "apigatewaymanagementapi.PostToConnection"
# The fleet's pause on model calls (docs/deploy.md, "Throttling"): counted apart, as it is
# paid per batch (a read) or per 429 pause (a write), not per job.
PAUSE = " (pause)"


class CallCounter:
    """Counts every API call any boto3 client of the default session makes."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str, params: Any = None, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        body = (params or {}).get("body") or b""  # the request as sent (JSON for DynamoDB)
        pause = isinstance(body, bytes) and PAUSE_ID.encode() in body
        self.calls[f"{service}.{operation}" + (PAUSE if pause else "")] += 1

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken


def pause_calls(calls: Counter[str]) -> int:
    return sum(n for call, n in calls.items() if call.endswith(PAUSE))


def shown(calls: Counter[str]) -> str:
    """The calls of a flow as `n+s`: n calls, plus s pushes (one per socket) when any; the
    pause's calls apart."""
    sockets = calls[SOCKET_CALL]
    rest = sum(calls.values()) - sockets - pause_calls(calls)
    return f"{rest}+{sockets}" if sockets else str(rest)


def main() -> None:
    flows = measure()
    print(f"{'flow':<30}{'AWS calls':>10}{'target':>8}{'today':>7}{'seed':>6}{'pause':>7}  calls")
    for flow, calls in flows:
        base = flow.split(" ")[0]
        target, seed = TARGETS.get(base, ""), SEED.get(base, "")
        detail = ", ".join(f"{k} x{v}" for k, v in sorted(calls.items()))
        pause = pause_calls(calls) or ""
        print(
            f"{flow:<30}{shown(calls):>10}{target:>8}{TODAY.get(flow, ''):>7}{seed:>6}"
            f"{pause!s:>7}  {detail}"
        )
    print("today = 2026-12-03, before issue 26; seed = the original design (about 7 each)")
    print(
        "process = 4 (GetObject, the claim, PutObject, the completing transaction) + per push "
        "one Query and one post per socket; two pushes (processing at the first claim, then "
        "the end), so 6+2 with one socket: 5+1 with the end's push alone, as 2026-12-03 "
        "counted it. The end's push reads the connections again: a socket opened during the "
        "model call must hear the end"
    )
    print(
        "pause = the fleet's shared pause on model calls: one GetItem per batch at most (a "
        "container trusts its last read for 5 s, so a batch soon after another reads none), "
        "1 / BatchSize per job; plus one UpdateItem per container when a 429 starts a pause "
        "(the load model counts both per job)"
    )


@contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """os.environ with `values` set (None: removed), restored afterwards."""
    saved = {name: os.environ.get(name) for name in values}

    def put(settings: dict[str, str | None]) -> None:
        for name, value in settings.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    put(values)
    try:
        yield
    finally:
        put(saved)


def measure() -> list[tuple[str, Counter[str]]]:
    """Each flow's AWS calls, cold then warm, on moto in this process."""
    credentials: dict[str, str | None] = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": None,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": None,
        "GEMINI_API_KEY": None,
        "UPLOAD_BUCKET": "bench-uploads",
        "RESULT_BUCKET": "bench-results",
        "SQS_QUEUE_URL": None,
        "C2PA_SECRET_ARN": None,
        "WEBSOCKET_ENDPOINT": "https://abc.execute-api.us-east-1.amazonaws.com/prod",
    }
    with _environment(credentials):
        import boto3
        from moto import mock_aws

        with mock_aws():
            return _run_flows(boto3)


def _run_flows(boto3: Any) -> list[tuple[str, Counter[str]]]:
    from profilephoto.adapters.aws.tables import create_tables
    from profilephoto.containers.aws import build_aws_container
    from profilephoto.entrypoints.aws_lambda import runtime
    from profilephoto.settings import load_settings

    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    for bucket in ("bench-uploads", "bench-results"):
        s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName="bench")["QueueUrl"]
    create_tables(boto3.client("dynamodb"))
    from tests.e2e.aws_stack import signing_secret

    os.environ["SQS_QUEUE_URL"] = queue_url
    os.environ["C2PA_SECRET_ARN"] = signing_secret(None)  # read once, at the first result
    settings = load_settings()
    # One container per function, as in production: each Lambda warms its own caches.
    functions = {name: build_aws_container(settings) for name in ("upload", "api", "worker")}

    def on(function: str) -> None:
        runtime.install(functions[function], settings)

    counter = CallCounter()
    boto3.DEFAULT_SESSION.events.register("before-call", counter)
    try:
        return _flows(boto3, queue_url, counter, on)
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-call", counter)
        runtime.install(None)


def _flows(
    boto3: Any, queue_url: str, counter: CallCounter, on: Callable[[str], None]
) -> list[tuple[str, Counter[str]]]:
    from profilephoto.entrypoints.aws_lambda import api, file_transfer, process
    from profilephoto.entrypoints.sample_photo import public_domain_portrait
    from tests.e2e.lambda_events import CONTEXT, load, rest

    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    sub = load("presign")["requestContext"]["authorizer"]["claims"]["sub"]
    boto3.client("dynamodb").put_item(
        TableName="Connections",
        Item={
            "connectionId": {"S": "conn-1"},
            "userId": {"S": sub},
            "connectedAt": {"S": "2026-11-29T00:00:00.000Z"},
            "ttl": {"N": "9999999999"},
        },
    )
    # A real portrait: a flat-colour image would be turned away by the photo check, and
    # the refund would make the next reservation's guessed count stale (one more call).
    photo = io.BytesIO(public_domain_portrait())

    flows: list[tuple[str, Counter[str]]] = []
    counter.take()
    for attempt in ("cold", "warm"):
        body = {
            "fileName": "me.jpg",
            "contentType": "image/jpeg",
            "fileSize": len(photo.getvalue()),
        }
        on("upload")
        ticket = json.loads(file_transfer.handler(rest("presign", body=body), CONTEXT)["body"])
        flows.append((f"upload ({attempt})", counter.take()))
        s3.put_object(Bucket="bench-uploads", Key=ticket["fileKey"], Body=photo.getvalue())
        counter.take()
        event = rest("generate", body={"fileKey": ticket["fileKey"], "style": "professional"})
        on("api")
        api.handler(event, CONTEXT)
        flows.append((f"generate ({attempt})", counter.take()))
        message = sqs.receive_message(QueueUrl=queue_url, AttributeNames=["All"])["Messages"][0]
        counter.take()
        batch = load("sqs_batch")
        batch["Records"][0].update(body=message["Body"], messageId=message["MessageId"])
        on("worker")
        process.handler(batch, CONTEXT)
        flows.append((f"process (1 connection, {attempt})", counter.take()))
    return flows


if __name__ == "__main__":
    main()
