"""Invariant 9: every stored result says it was made by AI, or is not stored at all."""

import pytest

from profilephoto.domain.errors import LabelingFailed, RetryLater
from profilephoto.domain.labels import DigitalSourceType
from profilephoto.domain.models import JobStatus
from profilephoto.entrypoints.aws_lambda.views import job_view
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, make_world


def used(world) -> int:
    return world.queries.get_usage(ALICE).used


def stored(world) -> list[bytes]:
    return [world.results.read(key) for key in sorted(world.results.objects)]


def test_every_stored_variant_carries_the_label_of_the_model_that_made_it(world):
    world.generate(count=3)
    assert world.process_all() == [Outcome.COMPLETED]
    found = [world.labeler.read(data) for data in stored(world)]
    assert len(found) == 3
    assert all(
        label is not None
        and label.intact
        and label.model == "scripted-fake"
        and label.source_type is DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA
        for label in found
    )


def test_a_result_that_cannot_be_labelled_is_not_stored_and_is_retried():
    world = make_world(max_attempts=3)
    world.labeler.fail_next(LabelingFailed())
    accepted = world.generate()
    (message,) = world.queue.drain()
    with pytest.raises(RetryLater):
        world.processing.process(message)
    assert world.results.objects == {}
    assert world.uow.jobs.get(accepted.job_id).status is not JobStatus.COMPLETED
    # The next delivery labels it and completes.
    assert world.processing.process(message).outcome is Outcome.COMPLETED
    assert all(world.labeler.read(data).intact for data in stored(world))


def test_a_result_that_is_never_labelled_fails_the_job_refunded():
    world = make_world(max_attempts=2)
    world.labeler.fail_next(LabelingFailed(), times=2)
    accepted = world.generate()
    (message,) = world.queue.drain()
    with pytest.raises(RetryLater):
        world.processing.process(message)
    assert world.processing.process(message).outcome is Outcome.FAILED
    job = world.uow.jobs.get(accepted.job_id)
    assert job.status is JobStatus.FAILED and world.results.objects == {}
    assert used(world) == 0  # a system failure: the unit is given back


def test_one_unlabelled_variant_is_refunded_and_the_rest_delivered(world):
    world.labeler.fail_next(LabelingFailed())
    world.generate(count=3)
    assert world.process_all() == [Outcome.COMPLETED]
    assert len(world.results.objects) == 2 and used(world) == 2
    assert all(world.labeler.read(data).intact for data in stored(world))


def test_a_completed_job_says_it_is_ai_generated_and_an_unfinished_one_does_not(world):
    accepted = world.generate()
    assert "aiGenerated" not in job_view(world.queries.get_job(ALICE, accepted.job_id)).to_json()
    world.process_all()
    assert job_view(world.queries.get_job(ALICE, accepted.job_id)).to_json()["aiGenerated"] is True
