import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import (
    IdempotencyConflict,
    InvalidRequest,
    QuotaExceeded,
    UploadNotFound,
)
from profilephoto.domain.models import JobStatus
from tests.conftest import ALICE, make_world


def used(world) -> int:
    return world.queries.get_usage(ALICE).used


def request(world, keys, **options):
    return world.generation.request_generation(
        ALICE, GenerationRequest(None, "professional", file_keys=keys, **options)
    )


def test_several_photos_several_variants_and_a_shape_make_one_job_and_one_message(world):
    keys = [world.upload(), world.upload(), world.upload()]
    accepted = request(world, keys, count=3, aspect_ratio="4:5")
    assert accepted.remaining_quota == 7
    assert used(world) == 3
    job = world.uow.jobs.get(accepted.job_id)
    assert (job.count, job.aspect_ratio, job.status) == (3, "4:5", JobStatus.QUEUED)
    assert job.photo_urls == [world.uploads.uri(k) for k in keys]
    (message,) = world.queue.sent
    assert message.to_json_dict() == {
        "jobId": accepted.job_id,
        "userId": "alice",
        "fileKey": keys[0],
        "style": "professional",
        "fileKeys": keys,
        "count": 3,
        "aspectRatio": "4:5",
    }
    view = world.job_json(ALICE, accepted.job_id)
    assert (view["count"], view["aspectRatio"]) == (3, "4:5")


def test_a_plain_request_sends_the_original_message_and_shows_the_defaults(world):
    accepted = world.generate()
    (message,) = world.queue.sent
    assert set(message.to_json_dict()) == {"jobId", "userId", "fileKey", "style"}
    view = world.job_json(ALICE, accepted.job_id)
    assert (view["count"], view["aspectRatio"]) == (1, "1:1")


def test_fewer_units_left_than_variants_asked_is_429_and_charges_nothing():
    world = make_world(daily_limit=4)
    world.generate()
    world.generate()
    with pytest.raises(QuotaExceeded):
        request(world, [world.upload()], count=3)
    assert used(world) == 2 and len(world.queue.sent) == 2
    assert request(world, [world.upload()], count=2).remaining_quota == 0


def test_a_count_above_the_deployments_maximum_is_invalid():
    world = make_world(max_variants=2)
    with pytest.raises(InvalidRequest):
        request(world, [world.upload()], count=3)
    assert used(world) == 0


def test_a_missing_second_photo_is_404_and_charges_nothing(world):
    missing = "uploads/alice/1764460800000_" + "f" * 32 + ".jpg"
    with pytest.raises(UploadNotFound):
        request(world, [world.upload(), missing])
    assert used(world) == 0 and world.queue.sent == []


def test_an_idempotent_replay_must_ask_for_the_same_variants(world):
    key = world.upload()
    first = request(world, [key], count=2, idempotency_key="k")
    assert request(world, [key], count=2, idempotency_key="k").job_id == first.job_id
    with pytest.raises(IdempotencyConflict):
        request(world, [key], count=3, idempotency_key="k")
    with pytest.raises(IdempotencyConflict):
        request(world, [key], count=2, aspect_ratio="9:16", idempotency_key="k")
    assert used(world) == 2


def test_one_photo_as_file_key_or_as_file_keys_is_the_same_request(world):
    key = world.upload()
    first = world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k")
    )
    assert request(world, [key], idempotency_key="k").job_id == first.job_id
    assert used(world) == 1
