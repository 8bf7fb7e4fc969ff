"""The likeness rule end to end on every store, with the real face models: someone else's
face is made again once, then delivered refunded; the offline stylizer's result passes."""

from __future__ import annotations

import io

import pytest
from dependency_injector import providers

from profilephoto.adapters.local.offline_stylizer import OfflineStylizer
from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.models import GeneratedImage, JobStatus
from profilephoto.domain.ports import FaceMatcher
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE
from tests.faults.production import StepPlan, faulty_world, invariant_violations
from tests.photos import photo, portrait_jpeg

RUNTIMES = pytest.mark.parametrize("runtime", ["memory", "sqlite", "dynamodb"])


@pytest.fixture(scope="module")
def matcher() -> FaceMatcher:
    from profilephoto.adapters.likeness.onnx import OnnxFaceMatcher

    return OnnxFaceMatcher()


def someone_else() -> GeneratedImage:
    """A model that paints the wrong person: Grace Hopper for Eileen Collins."""
    out = io.BytesIO()
    photo("grace_hopper").save(out, "PNG")
    return GeneratedImage(data=out.getvalue(), content_type="image/png", model="scripted-fake")


@RUNTIMES
def test_someone_elses_face_is_made_again_once_then_delivered_marked_and_refunded(runtime, matcher):
    with faulty_world(runtime, StepPlan()) as world:
        world.container.matcher.override(providers.Object(matcher))
        wrong = someone_else()
        world.generator.then(wrong, wrong, wrong)
        key = world.upload(data=portrait_jpeg("astronaut"))
        accepted = world.generation.request_generation(
            ALICE, GenerationRequest(key, "professional")
        )
        assert world.process_all() == [Outcome.COMPLETED]
        job = world.uow.jobs.get(accepted.job_id)
        assert len(world.generator.calls) == 2  # the first call and one retry, no more
        assert job.status is JobStatus.COMPLETED and len(job.output_image_urls) == 1
        assert job.metadata["lowLikeness"] is True
        assert job.metadata["likenessRetries"] == 1
        [score] = job.metadata["likeness"]
        assert score < job.metadata["likenessMin"]
        assert world.queries.get_usage(ALICE).used == 0
        assert world.uow.users.get("alice").total_images_generated == 1
        assert invariant_violations(world) == []


@RUNTIMES
def test_the_offline_stylizers_result_looks_like_the_user_and_is_charged(runtime, matcher):
    with faulty_world(runtime, StepPlan()) as world:
        world.container.matcher.override(providers.Object(matcher))
        world.container.generator.override(providers.Object(OfflineStylizer()))
        key = world.upload(data=portrait_jpeg("astronaut"))
        accepted = world.generation.request_generation(
            ALICE, GenerationRequest(key, "professional")
        )
        assert world.process_all() == [Outcome.COMPLETED]
        job = world.uow.jobs.get(accepted.job_id)
        [score] = job.metadata["likeness"]
        assert score >= job.metadata["likenessMin"]
        assert job.metadata["likenessRetries"] == 0 and "lowLikeness" not in job.metadata
        assert world.queries.get_usage(ALICE).used == 1
        assert invariant_violations(world) == []
