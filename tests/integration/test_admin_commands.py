"""`profilephoto admin` on the local data directory and, with --aws, on DynamoDB (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from profilephoto.adapters.aws import DynamoDbUnitOfWork
from profilephoto.domain.errors import ContentBlocked, GenerationFailed
from profilephoto.domain.models import Identity
from profilephoto.entrypoints import cli
from tests.conftest import make_world
from tests.integration.aws_fixtures import REGION, dynamodb_unit_of_work

ALICE_LOGIN = datetime(2026, 11, 29, 12, tzinfo=UTC)


def admin(capsys, *args: str) -> dict:
    assert cli.main(["admin", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_report_counts_a_days_jobs_images_failures_tokens_and_cost():
    world = make_world(daily_limit=50)
    world.generator.then(None, GenerationFailed("no"), ContentBlocked("no"), None)
    for _ in range(4):
        world.generate()
    world.process_all()
    world.generate()  # still queued
    report = world.container.services.admin().report("2026-11-29")
    assert report.jobs == {
        "pending": 0,
        "queued": 1,
        "processing": 0,
        "completed": 2,
        "failed": 2,
        "canceled": 0,
    }
    assert report.images == 2
    assert report.failures == {"generation_failed": 1, "content_blocked": 1}
    assert report.tokens == 2 * 30  # the scripted model reports 10 + 20 per image
    assert world.container.services.admin().report("2026-11-30").jobs["completed"] == 0


def test_a_personal_limit_set_by_an_operator_is_what_the_user_gets(tmp_path, capsys):
    data = str(tmp_path)
    answer = admin(capsys, "set-limit", "alice", "25", "--data-dir", data)
    assert answer["record"]["dailyLimit"] == 25 and answer["usage"]["limit"] == 25
    assert admin(capsys, "user", "alice", "--data-dir", data)["usage"]["remainingQuota"] == 25
    assert admin(capsys, "report", "--data-dir", data)["jobs"]["completed"] == 0


def test_a_bad_date_is_refused_in_words(tmp_path, capsys):
    assert cli.main(["admin", "report", "--date", "2026-13-40", "--data-dir", str(tmp_path)]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_admin_with_aws_works_on_the_deployed_tables(monkeypatch, capsys):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with dynamodb_unit_of_work() as (uow, client):
        uow.users.record_login(Identity(user_id="alice", email="a@x.io"), ALICE_LOGIN)
        answer = admin(capsys, "set-limit", "alice", "3", "--aws")
        assert answer["record"]["dailyLimit"] == 3 and answer["record"]["email"] == "a@x.io"
        # Another host (a fresh one: a warm one caches users for a few minutes) sees it.
        assert DynamoDbUnitOfWork(client).users.get("alice").daily_limit == 3
        assert admin(capsys, "report", "--aws", "--date", "2026-11-29")["images"] == 0
