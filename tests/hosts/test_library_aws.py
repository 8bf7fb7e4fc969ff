"""`profilephoto.aws()`: the same interface over S3, SQS and DynamoDB (moto), set by the env."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

import profilephoto
from profilephoto.adapters.aws.tables import create_tables
from tests.integration.aws_fixtures import REGION, mocked_aws, receive_all
from tests.photos import portrait_jpeg


@pytest.fixture
def queue_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with mocked_aws():
        for bucket in ("pp-uploads", "pp-results"):
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=bucket)
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="pp-jobs")["QueueUrl"]
        create_tables(boto3.client("dynamodb", region_name=REGION))
        for name, value in {
            "UPLOAD_BUCKET": "pp-uploads",
            "RESULT_BUCKET": "pp-results",
            "SQS_QUEUE_URL": url,
            "DAILY_LIMIT": "2",
        }.items():
            monkeypatch.setenv(name, value)
        yield url


def test_a_host_queues_cancels_and_deletes_on_aws(queue_url: str) -> None:
    with profilephoto.aws() as app:
        key = app.upload("alice", portrait_jpeg())
        job = app.generate("alice", key, style="studio_bw", count=2)
        assert (job.status, job.count, app.usage("alice").used) == ("queued", 2, 2)
        [message] = receive_all(boto3.client("sqs", region_name=REGION), queue_url)
        assert (message.job_id, message.file_key) == (job.job_id, key)

        with pytest.raises(profilephoto.QuotaExceeded):
            app.upload("alice", portrait_jpeg())
        canceled = app.cancel("alice", job.job_id)
        assert app.wait("alice", job.job_id, timeout=1) == canceled
        assert canceled.status is profilephoto.JobStatus.CANCELED
        assert app.usage("alice").used == 0
        assert app.results("alice", job.job_id) == []

        app.delete_job("alice", job.job_id)
        app.delete_me("alice")
        assert app.jobs("alice").items == []
        stored = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="pp-uploads")
        assert stored.get("KeyCount", 0) == 0


def test_a_missing_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQS_QUEUE_URL", raising=False)
    monkeypatch.setenv("UPLOAD_BUCKET", "b")
    monkeypatch.setenv("RESULT_BUCKET", "c")
    with pytest.raises(Exception, match="SQS_QUEUE_URL"), profilephoto.aws():
        pass
