"""Quota under concurrency on DynamoDB: the conditional increment admits exactly one racer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from profilephoto.adapters.aws import DynamoDbUnitOfWork
from profilephoto.adapters.aws.dynamodb_items import av
from profilephoto.domain.errors import QuotaExceeded
from profilephoto.domain.reservation import Reservation
from tests.integration.aws_fixtures import dynamodb_unit_of_work
from tests.jobs import make_job as job

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
USAGE = "alice#2026-11-29"
TTL = int((NOW + timedelta(days=91)).timestamp())
LIMIT = 10
RACERS = 50


class ReadThenWriteLedger:
    """The check-then-write the design forbids: read the count, compare, write count + 1."""

    def __init__(self, client: Any, table: str = "UsageLog") -> None:
        self._client, self._table = client, table

    def reserve(self, key: str, limit: int) -> int:
        found = self._client.get_item(TableName=self._table, Key={"userIdDate": av(key)})
        count = int(found.get("Item", {}).get("count", {}).get("N", "0"))
        if count >= limit:
            raise QuotaExceeded()
        time.sleep(0.005)  # the network between the two calls, where other requests land
        self._client.put_item(
            TableName=self._table, Item={"userIdDate": av(key), "count": av(count + 1)}
        )
        return count + 1


def race(reserve: Callable[[int], object]) -> list[str]:
    """RACERS threads call `reserve(n)` at once; the outcome of each."""
    start = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        start.wait()
        try:
            reserve(n)
            result = "admitted"
        except QuotaExceeded:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("host", ["warm", "cold"])
def test_fifty_racing_reservations_at_the_last_unit_admit_exactly_one(host):
    with dynamodb_unit_of_work() as (warm, client):
        for n in range(LIMIT - 1):
            warm.reserve_and_create_job(Reservation(job(n), USAGE, LIMIT, TTL, NOW))
        # warm: the host knows the count (optimistic path); cold: it must increment blind.
        uow = warm if host == "warm" else DynamoDbUnitOfWork(client)

        outcomes = race(
            lambda n: uow.reserve_and_create_job(Reservation(job(1000 + n), USAGE, LIMIT, TTL, NOW))
        )

        assert outcomes.count("admitted") == 1
        assert outcomes.count("refused") == RACERS - 1
        assert uow.usage.get(USAGE).count == LIMIT
        created = [n for n in range(RACERS) if uow.jobs.get(job(1000 + n).job_id)]
        assert len(created) == 1


def test_the_same_race_catches_a_read_then_write_ledger():
    with dynamodb_unit_of_work() as (_, client):
        naive = ReadThenWriteLedger(client)
        for _ in range(LIMIT - 1):
            naive.reserve(USAGE, LIMIT)

        outcomes = race(lambda n: naive.reserve(USAGE, LIMIT))

        # The race test has teeth: the naive ledger lets several racers past the limit.
        assert outcomes.count("admitted") > 1
