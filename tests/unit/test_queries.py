from datetime import timedelta

import pytest

from profilephoto.domain.errors import (
    GenerationFailed,
    InvalidImage,
    InvalidRequest,
    JobNotFound,
)
from profilephoto.entrypoints.aws_lambda.views import styles_view
from profilephoto.services.queries import parse_limit
from tests.conftest import ALICE, BOB


def test_a_completed_job_is_shown_with_a_result_url_and_without_internals(world):
    accepted = world.generate()
    world.process_all()
    view = world.job_json(ALICE, accepted.job_id)
    assert view["status"] == "completed"
    assert view["resultUrl"].startswith("memory://results/results/alice/")
    assert view["createdAt"].endswith("Z") and len(view["createdAt"]) == 24
    assert "prompt" not in view and "inputImageUrl" not in view and "userId" not in view
    assert isinstance(view["processingTime"], int)


@pytest.mark.parametrize(
    ("failure", "charged"),
    [(GenerationFailed("model down"), False), (InvalidImage("not a photo"), True)],
)
def test_a_failed_job_says_whether_it_used_a_credit(world, failure, charged):
    world.generator.then(failure)
    accepted = world.generate()
    world.process_all()
    error = world.job_json(ALICE, accepted.job_id)["error"]
    assert error["code"] == failure.code and error["charged"] is charged
    assert world.queries.get_usage(ALICE).used == int(charged)


def test_another_users_job_and_an_unknown_id_are_both_not_found(world):
    accepted = world.generate()
    for who, job_id in ((BOB, accepted.job_id), (ALICE, "job_nope"), (ALICE, None)):
        with pytest.raises(JobNotFound):
            world.job_json(who, job_id)


def test_jobs_are_listed_newest_first_and_only_the_callers(world):
    ids = []
    for _ in range(3):
        ids.append(world.generate().job_id)
        world.clock.advance(timedelta(seconds=1))
    world.generate(BOB)
    first = world.jobs_json(ALICE, "2", None)
    second = world.jobs_json(ALICE, None, first["nextToken"])
    assert [j["jobId"] for j in first["items"] + second["items"]] == ids[::-1]
    assert second["nextToken"] is None


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "  ", ""])
def test_a_limit_outside_one_to_a_hundred_is_invalid(limit):
    # `?limit=` (empty) is not a number either: 400, as docs/api.md §3.4 says.
    with pytest.raises(InvalidRequest):
        parse_limit(limit)


def test_no_limit_is_a_page_of_twenty():
    assert parse_limit(None) == 20


def test_a_forged_next_token_is_invalid(world):
    with pytest.raises(InvalidRequest):
        world.jobs_json(ALICE, "5", "not-a-token")


def test_usage_reports_today_in_the_quota_zone_with_its_reset(world):
    world.generate()
    usage = world.queries.get_usage(ALICE).to_json_dict()
    assert usage == {
        "date": "2026-11-29",
        "used": 1,
        "limit": 10,
        "remainingQuota": 9,
        "resetsAt": "2026-11-30T00:00:00.000Z",
    }


def test_styles_are_listed_without_their_prompts(world):
    styles = styles_view(world.queries.list_styles()).to_json()["styles"]
    assert styles[0] == {
        "id": "professional",
        "name": "Professional",
        "description": styles[0]["description"],
    }
    assert all(set(s) == {"id", "name", "description"} for s in styles)
