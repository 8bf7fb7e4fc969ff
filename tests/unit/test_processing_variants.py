import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import (
    GenerationFailed,
    InvalidImage,
    RetryLater,
    TransientGenerationError,
)
from profilephoto.domain.models import JobStatus
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, JPEG, make_world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def used(world) -> int:
    return world.queries.get_usage(ALICE).used


def request(world, count=1, aspect_ratio=None, photos=(JPEG,)):
    keys = [world.upload(data=data) for data in photos]
    return world.generation.request_generation(
        ALICE,
        GenerationRequest(
            None, "professional", file_keys=keys, count=count, aspect_ratio=aspect_ratio
        ),
    )


def test_every_variant_is_stored_counted_shown_and_pushed(world):
    accepted = request(world, count=3, aspect_ratio="4:5")
    assert world.process_all() == [Outcome.COMPLETED]
    assert sorted(world.results.objects) == [
        f"results/alice/{accepted.job_id}/{n}.png" for n in range(3)
    ]
    assert [call.aspect_ratio for call in world.generator.calls] == ["4:5"] * 3
    assert world.uow.users.get("alice").total_images_generated == 3
    assert used(world) == 3
    view = world.job_json(ALICE, accepted.job_id)
    assert len(view["resultUrls"]) == 3 and view["resultUrl"] == view["resultUrls"][0]
    assert "failedVariants" not in view["metadata"]
    assert view["metadata"]["usage"] == {"promptTokens": 30, "outputTokens": 60}
    ((_, started), (_, note)) = world.notifier.notifications
    assert started.status is JobStatus.PROCESSING
    assert note.status is JobStatus.COMPLETED and len(note.result_urls) == 3
    assert note.result_url == note.result_urls[0]


def test_a_variant_that_fails_is_refunded_and_the_job_completes_with_the_rest(world):
    world.generator.then(None, GenerationFailed(), None)
    accepted = request(world, count=3)
    assert world.process_all() == [Outcome.COMPLETED]
    job = world.uow.jobs.get(accepted.job_id)
    assert (job.status, len(job.output_image_urls), job.metadata["failedVariants"]) == (
        JobStatus.COMPLETED,
        2,
        1,
    )
    assert len(world.results.objects) == 2
    assert world.uow.users.get("alice").total_images_generated == 2
    assert used(world) == 2


def test_when_every_variant_fails_for_a_while_the_job_is_retried_as_one(world):
    world.generator.then(TransientGenerationError(), TransientGenerationError())
    accepted = request(world, count=2)
    (message,) = world.queue.drain()
    try:
        world.processing.process(message)
        raise AssertionError("expected a retry")
    except RetryLater:
        pass
    assert world.results.objects == {} and used(world) == 2
    assert world.processing.process(message).outcome is Outcome.COMPLETED
    assert len(world.uow.jobs.get(accepted.job_id).output_image_urls) == 2


def test_a_duplicate_delivery_of_a_variants_job_adds_no_object_and_no_count(world):
    request(world, count=2)
    (message,) = world.queue.drain()
    world.processing.process(message)
    assert world.processing.process(message).outcome is Outcome.SKIPPED
    assert len(world.results.objects) == 2
    assert world.uow.users.get("alice").total_images_generated == 2
    assert len(world.generator.calls) == 2


def test_every_photo_goes_to_the_model_main_first_after_its_own_normalization(world):
    request(world, photos=(JPEG, PNG, JPEG + b"\x01"))
    world.process_all()
    ((photos, _, _),) = [(c.images, c.style, c.aspect_ratio) for c in world.generator.calls]
    assert [p.data for p in photos] == [JPEG, PNG, JPEG + b"\x01"]
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png", "image/jpeg"]


def test_a_second_photo_that_is_not_an_image_is_refused_before_anything_is_charged():
    world = make_world()
    with pytest.raises(InvalidImage):
        request(world, count=2, photos=(JPEG, b"not an image at all"))
    assert used(world) == 0 and world.queue.sent == []
