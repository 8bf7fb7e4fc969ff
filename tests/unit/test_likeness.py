"""The likeness rule in the worker: a result that does not look like the user is made again
once, and when it still does not, it is delivered, marked, and its unit given back."""

from __future__ import annotations

import pytest

from profilephoto.adapters.memory.faces import A_LOOKALIKE, A_STRANGER
from profilephoto.adapters.memory.labels import MARK
from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import TransientGenerationError
from profilephoto.domain.face_embedding import FaceEmbedding, centroid
from profilephoto.domain.likeness import LikenessPolicy
from profilephoto.domain.models import GeneratedImage, JobStatus
from profilephoto.domain.object_keys import object_key
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, JPEG, make_world

PNG = b"\x89PNG\r\n\x1a\n"
ONE_CALL = 0.00003  # dollars each model call reports


def answer(name: str) -> GeneratedImage:
    """A model answer whose pixels are `name` (the fake matcher is told whose face it is)."""
    return GeneratedImage(
        data=PNG + name.encode(),
        content_type="image/png",
        model="scripted-fake",
        usage={"promptTokens": 10, "outputTokens": 20},
        cost_usd=ONE_CALL,
    )


STRANGER, LOOKALIKE, NOBODY = answer("stranger"), answer("lookalike"), answer("nobody")


def world_with(**config: object):
    world = make_world(**config)
    world.container.matcher().see(STRANGER.data, A_STRANGER)
    world.container.matcher().see(LOOKALIKE.data, A_LOOKALIKE)
    world.container.matcher().see(NOBODY.data, None)
    return world


def run(world, count: int = 1):
    accepted = world.generation.request_generation(
        ALICE, GenerationRequest(world.upload(data=JPEG), "professional", count=count)
    )
    assert world.process_all() == [Outcome.COMPLETED]
    return world.uow.jobs.get(accepted.job_id)


def used(world) -> int:
    return world.queries.get_usage(ALICE).used


def stored(world, job) -> list[bytes]:
    """The stored images' pixels, without the AI label the memory labeler appends."""
    return [
        world.results.objects[object_key(url)][0].split(MARK)[0] for url in job.output_image_urls
    ]


def test_a_result_that_looks_like_the_user_is_delivered_after_one_call_and_charged():
    world = world_with()
    job = run(world)
    assert len(world.generator.calls) == 1
    assert job.metadata["likeness"] == [1.0]
    assert job.metadata["likenessMin"] == LikenessPolicy().min_score
    assert job.metadata["likenessRetries"] == 0
    assert "lowLikeness" not in job.metadata
    assert used(world) == 1


def test_someone_elses_face_is_made_again_and_the_better_image_is_kept_and_charged():
    world = world_with()
    world.generator.then(STRANGER)  # then the user's own face
    job = run(world)
    assert len(world.generator.calls) == 2
    assert stored(world, job) != [STRANGER.data]
    assert job.metadata["likeness"] == [1.0]
    assert job.metadata["likenessRetries"] == 1
    assert "lowLikeness" not in job.metadata
    assert used(world) == 1


def test_a_result_still_unlike_the_user_is_delivered_marked_and_its_unit_given_back():
    world = world_with()
    world.generator.then(STRANGER, STRANGER)
    job = run(world)
    assert len(world.generator.calls) == 2
    assert job.status is JobStatus.COMPLETED and stored(world, job) == [STRANGER.data]
    assert job.metadata["lowLikeness"] is True and job.metadata["lowLikenessImages"] == 1
    assert job.metadata["likeness"] == [0.0]
    assert used(world) == 0
    assert world.uow.users.get("alice").total_images_generated == 1


def test_the_unit_is_given_back_once_even_when_the_message_comes_again():
    world = world_with()
    world.generator.then(STRANGER, STRANGER)
    world.generation.request_generation(
        ALICE, GenerationRequest(world.upload(data=JPEG), "professional", count=2)
    )
    (message,) = world.queue.drain()
    assert world.processing.process(message).outcome is Outcome.COMPLETED
    assert used(world) == 1
    assert world.processing.process(message).outcome is Outcome.SKIPPED
    assert used(world) == 1


def test_the_better_of_two_poor_results_is_kept():
    world = world_with()
    world.generator.then(LOOKALIKE, STRANGER)
    job = run(world, count=1)
    assert stored(world, job) == [LOOKALIKE.data]
    assert job.metadata["likeness"] == [0.6]
    assert "lowLikeness" not in job.metadata  # 0.6 clears the default bar


def test_a_result_with_no_face_is_made_again_and_scored_null_when_it_stays_so():
    world = world_with()
    world.generator.then(NOBODY, NOBODY)
    job = run(world)
    assert len(world.generator.calls) == 2
    assert job.metadata["likeness"] == [None]
    assert job.metadata["lowLikeness"] is True
    assert used(world) == 0


def test_the_extra_calls_count_in_the_jobs_usage_and_cost():
    world = world_with()
    world.generator.then(STRANGER, STRANGER)
    job = run(world)
    assert job.metadata["usage"] == {"promptTokens": 20, "outputTokens": 40}
    assert job.metadata["costUsd"] == pytest.approx(2 * ONE_CALL)


def test_results_are_ordered_best_first_and_only_the_poor_ones_are_refunded():
    world = world_with(likeness=LikenessPolicy(retries=0))
    world.generator.then(STRANGER, None, LOOKALIKE)
    job = run(world, count=3)
    assert job.metadata["likeness"] == [1.0, 0.6, 0.0]
    assert stored(world, job)[1:] == [LOOKALIKE.data, STRANGER.data]
    assert job.metadata["lowLikenessImages"] == 1
    assert used(world) == 2


def test_no_retries_means_one_call_and_a_refund():
    world = world_with(likeness=LikenessPolicy(retries=0))
    world.generator.then(STRANGER)
    job = run(world)
    assert len(world.generator.calls) == 1
    assert job.metadata["lowLikeness"] is True and used(world) == 0


def test_a_higher_bar_refunds_a_lookalike():
    world = world_with(likeness=LikenessPolicy(min_score=0.7))
    world.generator.then(LOOKALIKE, LOOKALIKE)
    job = run(world)
    assert job.metadata["lowLikeness"] is True and used(world) == 0


def test_a_retry_that_fails_keeps_the_first_image_delivered_and_refunded():
    world = world_with()
    world.generator.then(STRANGER, TransientGenerationError("503"))
    job = run(world)
    assert stored(world, job) == [STRANGER.data]
    assert job.metadata["lowLikeness"] is True and used(world) == 0


def test_with_the_check_off_nothing_is_compared_and_nothing_is_retried():
    world = world_with(likeness=None)
    world.generator.then(STRANGER)
    job = run(world)
    assert world.container.matcher().embedded == []
    assert len(world.generator.calls) == 1
    assert not {"likeness", "lowLikeness"} & set(job.metadata)
    assert used(world) == 1


def test_photos_that_show_no_face_skip_the_check():
    world = world_with(photo_check=None)
    world.container.matcher().see(JPEG, None)
    world.generator.then(STRANGER)
    job = run(world)
    assert len(world.generator.calls) == 1
    assert "likeness" not in job.metadata and used(world) == 1


def test_the_reference_is_the_centroid_of_the_faces_in_every_photo():
    world = world_with()
    second = JPEG + b"second"
    world.container.matcher().see(second, A_LOOKALIKE)
    keys = [world.upload(data=JPEG), world.upload(data=second)]
    accepted = world.generation.request_generation(
        ALICE, GenerationRequest(None, "professional", file_keys=keys)
    )
    world.generator.then(LOOKALIKE)
    world.process_all()
    job = world.uow.jobs.get(accepted.job_id)
    expected = A_LOOKALIKE.similarity(centroid([FaceEmbedding.of([1, 0, 0]), A_LOOKALIKE]))
    assert job.metadata["likeness"] == [round(expected, 3)]


def test_an_embedding_is_a_unit_vector_and_a_zero_vector_is_refused():
    assert FaceEmbedding.of([3.0, 4.0]).vector == (0.6, 0.8)
    assert FaceEmbedding.of([1.0, 0.0]).similarity(FaceEmbedding.of([0.0, -2.0])) == 0.0
    with pytest.raises(ValueError):
        FaceEmbedding.of([0.0, 0.0])
    with pytest.raises(ValueError):
        FaceEmbedding.of([1.0]).similarity(FaceEmbedding.of([1.0, 0.0]))


def test_each_variant_and_each_retry_is_asked_with_a_seed_of_its_own():
    world = world_with()
    world.generator.then(STRANGER, STRANGER, STRANGER, STRANGER)  # each is made again once
    run(world, count=2)
    assert sorted(call.seed for call in world.generator.calls) == [0, 1, 2, 3]
