"""DynamoDB behaviour beyond the port contract: item shapes, edge cases, API call economy."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from profilephoto.adapters.aws import DynamoDbUnitOfWork
from profilephoto.adapters.aws.dynamodb_items import from_item
from profilephoto.adapters.aws.dynamodb_jobs import job_item
from profilephoto.domain.errors import QuotaExceeded
from profilephoto.domain.job_lifecycle import complete, fail, mark_queued
from profilephoto.domain.models import IdempotencyRecord, Identity, Job, JobError, JobStatus
from profilephoto.domain.reservation import Reservation
from tests.integration.aws_fixtures import dynamodb_unit_of_work
from tests.jobs import claim_of, make_job

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
USAGE = "alice#2026-11-29"
TTL = int((NOW + timedelta(days=91)).timestamp())
LEASE = NOW + timedelta(minutes=5)
REFUNDED = JobError(code="generation_failed", message="model said no")


def job(n: int, at: datetime = NOW) -> Job:
    return make_job(n, at=at)


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
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW))
    assert raw(client, "UsageLog", {"userIdDate": USAGE}) == {
        "userIdDate": USAGE,
        "userId": "alice",
        "date": "2026-11-29",
        "count": 1,
        "lastUpdated": "2026-11-29T12:00:00.000Z",
        "ttl": TTL,
    }


def test_another_host_can_finish_a_job_it_never_saw(aws):
    uow, client, _ = aws
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW))
    processing = DynamoDbUnitOfWork(client).apply(claim_of(job(1), NOW, LEASE))
    done = DynamoDbUnitOfWork(client).apply(complete(processing, ["s3://r/x.png"], 5, {}, NOW))
    assert uow.jobs.get(job(1).job_id) == done


def test_each_job_change_is_one_call_and_the_job_item_is_what_job_item_writes(aws):
    uow, client, calls = aws
    uow.users.record_login(Identity(user_id="alice"), NOW)
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW))
    calls.clear()
    queued = uow.apply(mark_queued(job(1), NOW))
    processing = uow.apply(claim_of(queued, NOW, LEASE))
    done = uow.apply(complete(processing, ["s3://r/x.png"], 5, {"model": "m"}, NOW))
    assert calls == ["UpdateItem", "UpdateItem", "TransactWriteItems"]
    assert raw(client, "ImageJobs", {"jobId": job(1).job_id}) == from_item(job_item(done))


def test_a_refund_refused_by_the_ledger_is_retried_by_name_with_what_is_left(aws):
    uow, _, calls = aws
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW))
    calls.clear()
    failed = uow.apply(dataclasses.replace(fail(job(1), REFUNDED, NOW), refund=3))
    assert calls == ["TransactWriteItems", "TransactWriteItems"]
    assert uow.jobs.get(job(1).job_id) == failed and uow.usage.get(USAGE).count == 0


def test_a_repeated_login_with_the_same_claims_is_not_written_again(aws):
    uow, _, calls = aws
    alice = Identity(user_id="alice", email="a@x.io")
    first = uow.users.record_login(alice, NOW)
    again = uow.users.record_login(alice, NOW + timedelta(seconds=30))
    # A user seen for the first time: one read for a personal limit the ledger kept.
    assert again == first and calls == ["UpdateItem", "GetItem"]
    changed = alice.model_copy(update={"email": "b@x.io"})
    uow.users.record_login(changed, NOW + timedelta(seconds=1))
    uow.users.record_login(alice, NOW + timedelta(minutes=10))
    assert calls == ["UpdateItem", "GetItem", "UpdateItem", "UpdateItem"]


def test_with_the_user_cache_off_every_login_is_written_and_every_read_reads(aws):
    _, client, calls = aws
    uow = DynamoDbUnitOfWork(client, user_cache_seconds=0)
    alice = Identity(user_id="alice", email="a@x.io")
    uow.users.record_login(alice, NOW)
    uow.users.record_login(alice, NOW + timedelta(seconds=30))
    uow.users.get("alice")
    assert calls == ["UpdateItem", "GetItem", "UpdateItem", "GetItem"]


def test_a_page_that_ends_exactly_at_the_last_job_has_no_token(aws):
    uow, _, _ = aws
    for n in range(4):
        uow.reserve_and_create_job(
            Reservation(job(n, NOW + timedelta(seconds=n)), USAGE, 10, TTL, NOW)
        )
    first = uow.jobs.list_for_user("alice", 2, None)
    second = uow.jobs.list_for_user("alice", 2, first.next_token)
    assert [j.job_id for j in second.items] == [job(1).job_id, job(0).job_id]
    assert second.next_token is None


def test_idempotency_records_stay_out_of_the_job_indexes(aws):
    uow, _, _ = aws
    record = IdempotencyRecord(
        key="alice#k", request_hash="h", job_id=job(1).job_id, expires_at=NOW + timedelta(days=1)
    )
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW, record))
    assert [j.job_id for j in uow.jobs.list_for_user("alice", 10, None).items] == [job(1).job_id]
    assert [
        j.job_id
        for j in uow.jobs.list_created_before(JobStatus.PENDING, NOW + timedelta(hours=1), 10)
    ] == [job(1).job_id]
    assert uow.jobs.get("idem#alice#k") is None


def test_an_expired_idempotency_record_may_be_taken_over(aws):
    uow, _, _ = aws
    old = IdempotencyRecord(key="alice#k", request_hash="h", job_id=job(1).job_id, expires_at=NOW)
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW - timedelta(days=1), old))
    new = old.model_copy(update={"job_id": job(2).job_id, "expires_at": NOW + timedelta(days=1)})
    uow.reserve_and_create_job(Reservation(job(2), USAGE, 10, TTL, NOW, new))
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
    assert uow.reserve_and_create_job(Reservation(job(1), USAGE, 10, TTL, NOW)) == 1
    calls.clear()
    assert uow.reserve_and_create_job(Reservation(job(2), USAGE, 10, TTL, NOW)) == 2
    assert calls == ["TransactWriteItems"]
    other = DynamoDbUnitOfWork(client)
    other.reserve_and_create_job(Reservation(job(3), USAGE, 10, TTL, NOW))
    other.reserve_and_create_job(Reservation(job(4), USAGE, 10, TTL, NOW))
    assert uow.reserve_and_create_job(Reservation(job(5), USAGE, 10, TTL, NOW)) == 5
    assert uow.usage.get(USAGE).count == 5


def test_a_stale_guess_at_the_limit_is_refused_without_writing(aws):
    uow, client, _ = aws
    uow.reserve_and_create_job(Reservation(job(1), USAGE, 2, TTL, NOW))
    DynamoDbUnitOfWork(client).reserve_and_create_job(Reservation(job(2), USAGE, 2, TTL, NOW))
    with pytest.raises(QuotaExceeded):
        uow.reserve_and_create_job(Reservation(job(3), USAGE, 2, TTL, NOW))
    assert uow.usage.get(USAGE).count == 2 and uow.jobs.get(job(3).job_id) is None


def test_a_job_with_a_retention_deadline_carries_it_as_the_tables_ttl_number(aws):
    uow, client, _ = aws
    deadline = int((NOW + timedelta(days=30)).timestamp())
    uow.reserve_and_create_job(
        Reservation(job(1).model_copy(update={"ttl": deadline}), USAGE, 10, TTL, NOW)
    )
    item = client.get_item(TableName="ImageJobs", Key={"jobId": {"S": job(1).job_id}})["Item"]
    assert item["ttl"] == {"N": str(deadline)}
