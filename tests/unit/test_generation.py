import hashlib
import json
import threading
from datetime import timedelta

import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import (
    FileTooLarge,
    Forbidden,
    IdempotencyConflict,
    InvalidImage,
    InvalidRequest,
    QueueUnavailable,
    QuotaExceeded,
    UnknownStyle,
    UploadNotFound,
)
from profilephoto.domain.models import JobStatus, User
from tests.conftest import ALICE, BOB, JPEG, make_world


def used_today(world, user_id="alice") -> int:
    return world.queries.get_usage(ALICE if user_id == "alice" else BOB).used


def test_a_generation_is_charged_queued_and_sent_exactly_once(world):
    accepted = world.generate()
    assert accepted.status is JobStatus.QUEUED
    assert accepted.remaining_quota == 9
    assert world.uow.jobs.get(accepted.job_id).status is JobStatus.QUEUED
    assert [m.job_id for m in world.queue.sent] == [accepted.job_id]
    assert used_today(world) == 1


def test_usage_is_unchanged_when_queue_send_fails(world):
    key = world.upload()
    world.queue.fail_next(QueueUnavailable())
    with pytest.raises(QueueUnavailable):
        world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
    assert used_today(world) == 0
    (job,) = world.uow.job_records.values()
    assert job.status is JobStatus.FAILED
    assert job.error.code == "queue_unavailable"
    assert world.queue.sent == []


def test_the_limit_is_exact_and_the_429_says_when_it_resets():
    world = make_world(daily_limit=2)
    world.generate()
    assert world.generate().remaining_quota == 0
    with pytest.raises(QuotaExceeded) as raised:
        world.generate()
    assert raised.value.retry_after == 12 * 3600  # the fixed clock says 12:00 UTC
    assert raised.value.to_body()["remainingQuota"] == 0
    assert len(world.queue.sent) == 2


def test_a_generate_refused_at_the_limit_says_when_the_quota_resets():
    world = make_world(daily_limit=1)
    keys = [world.upload(), world.upload()]
    world.generation.request_generation(ALICE, GenerationRequest(keys[0], "professional"))
    with pytest.raises(QuotaExceeded) as raised:
        world.generation.request_generation(ALICE, GenerationRequest(keys[1], "professional"))
    assert raised.value.retry_after == 12 * 3600


def test_fifty_racing_requests_at_the_last_unit_admit_exactly_one():
    world = make_world(daily_limit=5)
    for _ in range(4):
        world.generate()
    keys = [world.upload() for _ in range(50)]
    start = threading.Barrier(50)
    admitted, refused = [], []

    def attempt(key: str) -> None:
        start.wait()
        try:
            admitted.append(
                world.generation.request_generation(ALICE, GenerationRequest(key, "casual"))
            )
        except QuotaExceeded:
            refused.append(key)

    threads = [threading.Thread(target=attempt, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(admitted), len(refused)) == (1, 49)
    assert used_today(world) == 5
    assert len(world.queue.sent) == 5


def test_a_users_own_daily_limit_overrides_the_default(world):
    world.uow.users.record_login(ALICE, world.clock.now())
    world.uow.users.put(world.uow.users.get("alice").model_copy(update={"daily_limit": 1}))
    assert world.generate().remaining_quota == 0
    with pytest.raises(QuotaExceeded):
        world.generate()
    assert world.generate(BOB).remaining_quota == 9


def test_the_quota_resets_at_midnight_of_the_configured_zone():
    from zoneinfo import ZoneInfo

    world = make_world(daily_limit=1, quota_zone=ZoneInfo("Asia/Seoul"))
    world.clock.set(world.clock.now().replace(hour=14, minute=59, second=59))  # 23:59:59 KST
    world.generate()
    with pytest.raises(QuotaExceeded) as raised:
        world.generate()
    assert raised.value.retry_after == 1
    world.clock.advance(timedelta(seconds=1))  # 00:00:00 KST
    assert world.generate().remaining_quota == 0


def test_another_users_key_is_forbidden_and_nothing_is_charged(world):
    bobs_key = world.upload(BOB)
    with pytest.raises(Forbidden):
        world.generation.request_generation(ALICE, GenerationRequest(bobs_key, "professional"))
    assert used_today(world) == 0 and used_today(world, "bob") == 0


def test_a_missing_upload_is_404_and_nothing_is_charged(world):
    key = world.upload()
    world.uploads.delete(key)
    with pytest.raises(UploadNotFound) as raised:
        world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
    assert raised.value.to_body() == {
        "error": "Uploaded file not found in S3",
        "code": "upload_not_found",
    }
    assert used_today(world) == 0


def test_an_oversized_stored_object_is_refused():
    world = make_world(max_upload_bytes=100)
    key = world.upload(data=JPEG)
    world.uploads.write(key, JPEG * 10, "image/jpeg")
    with pytest.raises(FileTooLarge):
        world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))


def test_a_text_file_named_jpg_is_400_invalid_image_and_nothing_is_charged(world):
    key = world.upload(data=b"I am a text file, not a photo" * 10)
    with pytest.raises(InvalidImage):
        world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
    assert used_today(world) == 0
    assert world.uow.job_records == {} and world.queue.sent == []


@pytest.mark.parametrize(
    "first",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"RIFF\x24\x00\x00\x00WEBPVP8 ",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
        b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00",
    ],
    ids=["png", "webp", "heic", "heif"],
)
def test_every_accepted_image_signature_is_charged_and_queued(world, first):
    key = world.upload(data=first + b"\x00" * 64)
    assert (
        world.generation.request_generation(
            ALICE, GenerationRequest(key, "professional")
        ).remaining_quota
        == 9
    )


def test_an_unknown_style_lists_the_valid_ones(world):
    with pytest.raises(UnknownStyle) as raised:
        world.generation.request_generation(ALICE, GenerationRequest(world.upload(), "cubist"))
    assert "professional" in raised.value.details["styles"]


@pytest.mark.parametrize("bad", ["", "x" * 129, "tab\there", "é"])
def test_a_malformed_idempotency_key_is_invalid(world, bad):
    with pytest.raises(InvalidRequest):
        world.generation.request_generation(
            ALICE, GenerationRequest(world.upload(), "professional", idempotency_key=bad)
        )


def test_an_idempotent_replay_returns_the_first_job_and_charges_nothing(world):
    key = world.upload()
    first = world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k1")
    )
    again = world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k1")
    )
    assert again.job_id == first.job_id
    assert used_today(world) == 1
    assert len(world.queue.sent) == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(world):
    key = world.upload()
    world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k1")
    )
    with pytest.raises(IdempotencyConflict):
        world.generation.request_generation(
            ALICE, GenerationRequest(key, "casual", idempotency_key="k1")
        )


def written_before_connection_ids_left_the_hash(world, key: str, connection_id: str) -> None:
    """The record as a request with a connectionId wrote it before 2026-12-04."""
    (record_key,) = world.uow.idempotency_records
    legacy = json.dumps([key, "professional", connection_id], separators=(",", ":"))
    world.uow.idempotency_records[record_key] = world.uow.idempotency_records[
        record_key
    ].model_copy(update={"request_hash": hashlib.sha256(legacy.encode()).hexdigest()})


def test_a_record_written_with_a_connection_id_still_replays_its_request(world):
    key = world.upload()
    first = world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k1")
    )
    written_before_connection_ids_left_the_hash(world, key, "conn-1")
    again = world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k1")
    )
    assert again.job_id == first.job_id
    assert used_today(world) == 1
    assert len(world.queue.sent) == 1


def test_a_record_written_with_a_connection_id_still_refuses_another_body(world):
    key = world.upload()
    world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k1")
    )
    written_before_connection_ids_left_the_hash(world, key, "conn-1")
    with pytest.raises(IdempotencyConflict):
        world.generation.request_generation(
            ALICE, GenerationRequest(key, "casual", idempotency_key="k1")
        )
    with pytest.raises(IdempotencyConflict):
        world.generation.request_generation(
            ALICE, GenerationRequest(key, "professional", idempotency_key="k1", count=2)
        )


def test_idempotency_keys_are_per_user_and_expire_after_a_day(world):
    first = world.generate(idempotency_key="shared")
    assert world.generate(BOB, idempotency_key="shared").job_id != first.job_id
    world.clock.advance(timedelta(hours=24, seconds=1))
    assert world.generate(idempotency_key="shared").job_id != first.job_id


def test_concurrent_twins_with_one_idempotency_key_create_one_job(world):
    key = world.upload()
    start = threading.Barrier(20)
    answers = []

    def twin() -> None:
        start.wait()
        answers.append(
            world.generation.request_generation(
                ALICE, GenerationRequest(key, "professional", idempotency_key="twin")
            )
        )

    threads = [threading.Thread(target=twin) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a.job_id for a in answers}) == 1
    assert len(world.uow.job_records) == 1
    assert used_today(world) == 1


def test_the_same_request_and_key_after_a_503_runs_again_and_can_succeed(world):
    key = world.upload()
    world.queue.fail_next(QueueUnavailable())
    with pytest.raises(QueueUnavailable):
        world.generation.request_generation(
            ALICE, GenerationRequest(key, "professional", idempotency_key="k")
        )
    retried = world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k")
    )
    assert world.uow.jobs.get(retried.job_id).status is JobStatus.QUEUED
    assert [m.job_id for m in world.queue.sent] == [retried.job_id]
    assert used_today(world) == 1
    # After the 202, the key replays the 202: no third job, nothing more charged.
    again = world.generation.request_generation(
        ALICE, GenerationRequest(key, "professional", idempotency_key="k")
    )
    assert again.job_id == retried.job_id
    assert used_today(world) == 1 and len(world.queue.sent) == 1


def test_a_retry_while_the_queue_is_still_down_is_503_again_and_charges_nothing(world):
    key = world.upload()
    world.queue.fail_next(QueueUnavailable(), times=2)
    for _ in range(2):
        with pytest.raises(QueueUnavailable):
            world.generation.request_generation(
                ALICE, GenerationRequest(key, "professional", idempotency_key="k")
            )
    assert used_today(world) == 0
    assert {j.status for j in world.uow.job_records.values()} == {JobStatus.FAILED}


def test_concurrent_retries_after_a_503_create_one_new_job(world):
    key = world.upload()
    world.queue.fail_next(QueueUnavailable())
    with pytest.raises(QueueUnavailable):
        world.generation.request_generation(
            ALICE, GenerationRequest(key, "professional", idempotency_key="k")
        )
    start = threading.Barrier(10)
    answers = []

    def retry() -> None:
        start.wait()
        answers.append(
            world.generation.request_generation(
                ALICE, GenerationRequest(key, "professional", idempotency_key="k")
            )
        )

    threads = [threading.Thread(target=retry) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 10 and len({a.job_id for a in answers}) == 1
    assert used_today(world) == 1 and len(world.queue.sent) == 1


def test_a_worker_that_claims_the_job_before_the_api_marks_it_queued_still_gets_a_202(world):
    # The fastest worker imaginable: it takes and finishes the job inside the send.
    send = world.queue.send

    def send_and_process_at_once(message):
        send(message)
        world.process_all()

    world.queue.send = send_and_process_at_once
    accepted = world.generate()
    assert accepted.status is JobStatus.QUEUED and accepted.remaining_quota == 9
    assert world.uow.jobs.get(accepted.job_id).status is JobStatus.COMPLETED
    assert used_today(world) == 1


def test_the_first_call_creates_the_user_from_the_token_claims(world):
    world.generate()
    user = world.uow.users.get("alice")
    assert isinstance(user, User)
    assert (user.email, user.display_name) == ("alice@example.com", "Alice")


def test_a_zero_daily_limit_refuses_even_the_first_upload():
    from profilephoto.domain.commands import UploadRequest

    world = make_world(daily_limit=0)
    with pytest.raises(QuotaExceeded):
        world.upload_service.request_upload(
            ALICE, UploadRequest(file_name="a.jpg", content_type="image/jpeg", file_size=10)
        )
