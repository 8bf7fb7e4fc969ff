"""The worker's likeness metrics: each delivered image's score, the retries, the refunds."""

from __future__ import annotations

import json

import pytest

from profilephoto.domain.models import JobStatus
from profilephoto.entrypoints.aws_lambda import process
from profilephoto.entrypoints.aws_lambda.observability import metric_set
from profilephoto.services.processing import Outcome, Processed
from tests.jobs import make_job


@pytest.fixture
def emitted():
    with metric_set() as invocation:
        yield lambda: json.loads(json.dumps(invocation.serialize()))


def completed(metadata: dict[str, object]) -> Processed:
    job = make_job(status=JobStatus.COMPLETED).model_copy(
        update={"metadata": metadata, "processing_time": 1200}
    )
    return Processed(Outcome.COMPLETED, job)


def test_a_checked_job_reports_every_score_its_retries_and_its_refunded_images(emitted):
    process._record_metrics(
        completed({"likeness": [0.8, None], "likenessRetries": 2, "lowLikenessImages": 1})
    )
    figures = emitted()
    assert figures["LikenessScore"] == [0.8, -1.0]  # no face is as unlike as can be
    assert figures["LikenessRetries"] in (2.0, [2.0])
    assert figures["LowLikeness"] in (1.0, [1.0])


def test_an_unchecked_job_reports_no_likeness(emitted):
    process._record_metrics(completed({"model": "offline-stylizer"}))
    assert not {"LikenessScore", "LikenessRetries", "LowLikeness"} & set(emitted())
