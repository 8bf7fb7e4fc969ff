"""DynamoDB behaviour beyond the port contract: item shapes, edge cases, API call economy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from profilephoto.adapters.aws import DynamoDbUnitOfWork
from profilephoto.adapters.aws.dynamodb_items import from_item
from profilephoto.domain.errors import QuotaExceeded
from profilephoto.domain.models import IdempotencyRecord, Identity, Job, JobError, JobStatus
from tests.integration.aws_fixtures import dynamodb_unit_of_work

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
USAGE = "alice#2026-11-29"
TTL = int((NOW + timedelta(days=91)).timestamp())
P, R, F = JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.FAILED


def job(n: int, at: datetime = NOW) -> Job:
    return Job(
        job_id=f"job_{n:032x}",
        user_id="alice",
        status=P,
        style="professional",
        input_image_url="s3://uploads/uploads/alice/k.jpg",
        prompt="portrait",
        created_at=at,
        updated_at=at,
        quota_date="2026-11-29",
    )


@pytest.fixture
def aws():
    with dynamodb_unit_of_work() as (uow, client):
        calls: list[str] = []
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        yield uow, client, calls


def raw(client, table: str, key: dict[str, str]) -> dict:
    item = client.get_item(TableName=table, Key={k: {"S": v} for k, v in key.items()})["Item"]
    return from_item(item)


def test_the_usage_item_has_the_contract_attributes(aws):
    uow, client, _ = aws
    uow.reserve_and_create_job(job(1), USAGE, 10, TTL, NOW)
    assert raw(client, "UsageLog", {"userIdDate": USAGE}) == {
        "userIdDate": USAGE,
        "userId": "alice",
        "date": "2026-11-29",
        "count": 1,
        "lastUpdated": "2026-11-29T12:00:00.000Z",
        "ttl": TTL,
    }


def test_a_refund_when_the_count_is_already_zero_still_fails_the_job(aws):
    uow, client, _ = aws
    uow.reserve_and_create_job(job(1), USAGE, 10, TTL, NOW)
    client.delete_item(TableName="UsageLog", Key={"userIdDate": {"S": USAGE}})
    error = JobError(code="timed_out", message="late")
    failed = uow.fail_job(job(1).job_id, frozenset({P}), error, True, NOW)
    assert failed.status is F and uow.jobs.get(job(1).job_id) == failed
    assert uow.usage.get(USAGE) is None


def test_completing_the_job_of_a_user_never_seen_creates_their_record(aws):
    uow, _, _ = aws
    uow.reserve_and_create_job(job(1), USAGE, 10, TTL, NOW)
    uow.jobs.transition(job(1).job_id, frozenset({P}), R, NOW)
    uow.complete_job(job(1).job_id, "s3://results/r.png", 900, {"model": "m"}, NOW)
    user = uow.users.get("alice")
    assert user is not None and user.total_images_generated == 1 and user.created_at == NOW


def test_another_host_can_finish_a_job_it_never_saw(aws):
    uow, client, _ = aws
    uow.reserve_and_create_job(job(1), USAGE, 10, TTL, NOW)
    elsewhere = DynamoDbUnitOfWork(client)
    elsewhere.jobs.transition(job(1).job_id, frozenset({P}), R, NOW)
    done = DynamoDbUnitOfWork(client).complete_job(job(1).job_id, "s3://r/x.png", 5, {}, NOW)
    assert uow.jobs.get(job(1).job_id) == done


def test_a_repeated_login_with_the_same_claims_is_not_written_again(aws):
    uow, _, calls = aws
    alice = Identity(user_id="alice", email="a@x.io")
    first = uow.users.record_login(alice, NOW)
    again = uow.users.record_login(alice, NOW + timedelta(seconds=30))
    assert again == first and calls == ["UpdateItem"]
    uow.users.record_login(alice.model_copy(update={"email": "b@x.io"}), NOW)
    uow.users.record_login(alice, NOW + timedelta(minutes=10))
    assert calls == ["UpdateItem"] * 3


def test_a_page_that_ends_exactly_at_the_last_job_has_no_token(aws):
    uow, _, _ = aws
    for n in range(4):
        uow.reserve_and_create_job(job(n, NOW + timedelta(seconds=n)), USAGE, 10, TTL, NOW)
    first = uow.jobs.list_for_user("alice", 2, None)
    second = uow.jobs.list_for_user("alice", 2, first.next_token)
    assert [j.job_id for j in second.items] == [job(1).job_id, job(0).job_id]
    assert second.next_token is None


def test_idempotency_records_stay_out_of_the_job_indexes(aws):
    uow, _, _ = aws
    record = IdempotencyRecord(
        key="alice#k", request_hash="h", job_id=job(1).job_id, expires_at=NOW + timedelta(days=1)
    )
    uow.reserve_and_create_job(job(1), USAGE, 10, TTL, NOW, record)
    assert [j.job_id for j in uow.jobs.list_for_user("alice", 10, None).items] == [job(1).job_id]
    assert [j.job_id for j in uow.jobs.list_stuck(P, NOW + timedelta(hours=1), 10)] == [
        job(1).job_id
    ]
    assert uow.jobs.get("idem#alice#k") is None


def test_an_expired_idempotency_record_may_be_taken_over(aws):
    uow, _, _ = aws
    old = IdempotencyRecord(key="alice#k", request_hash="h", job_id=job(1).job_id, expires_at=NOW)
    uow.reserve_and_create_job(job(1), USAGE, 10, TTL, NOW - timedelta(days=1), old)
    new = old.model_copy(update={"job_id": job(2).job_id, "expires_at": NOW + timedelta(days=1)})
    uow.reserve_and_create_job(job(2), USAGE, 10, TTL, NOW, new)
    assert uow.idempotency.get("alice#k", NOW) == new


def test_the_tables_have_the_contract_keys_and_indexes(aws):
    _, client, _ = aws
    indexes = {
        name: sorted(
            (i["IndexName"], tuple(k["AttributeName"] for k in i["KeySchema"]))
            for i in client.describe_table(TableName=name)["Table"].get(
                "GlobalSecondaryIndexes", []
            )
        )
        for name in ("Users", "UsageLog", "ImageJobs", "Connections")
    }
    assert indexes == {
        "Users": [],
        "UsageLog": [("UserIdIndex", ("userId", "date"))],
        "ImageJobs": [
            ("StatusIndex", ("status", "createdAt")),
            ("UserIdCreatedAtIndex", ("userId", "createdAt")),
        ],
        "Connections": [("UserIdIndex", ("userId",))],
    }


def test_a_warm_reservation_is_one_call_and_a_stale_guess_still_counts_exactly(aws):
    uow, client, calls = aws
    assert uow.reserve_and_create_job(job(1), USAGE, 10, TTL, NOW) == 1
    calls.clear()
    assert uow.reserve_and_create_job(job(2), USAGE, 10, TTL, NOW) == 2
    assert calls == ["TransactWriteItems"]
    other = DynamoDbUnitOfWork(client)
    other.reserve_and_create_job(job(3), USAGE, 10, TTL, NOW)
    other.reserve_and_create_job(job(4), USAGE, 10, TTL, NOW)
    assert uow.reserve_and_create_job(job(5), USAGE, 10, TTL, NOW) == 5
    assert uow.usage.get(USAGE).count == 5


def test_a_stale_guess_at_the_limit_is_refused_without_writing(aws):
    uow, client, _ = aws
    uow.reserve_and_create_job(job(1), USAGE, 2, TTL, NOW)
    DynamoDbUnitOfWork(client).reserve_and_create_job(job(2), USAGE, 2, TTL, NOW)
    with pytest.raises(QuotaExceeded):
        uow.reserve_and_create_job(job(3), USAGE, 2, TTL, NOW)
    assert uow.usage.get(USAGE).count == 2 and uow.jobs.get(job(3).job_id) is None
