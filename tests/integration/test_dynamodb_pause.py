"""The fleet's pause is an ImageJobs item with no status or owner: it must never read as a
job (no GSI holds it), and it must expire."""

from datetime import UTC, datetime, timedelta

from profilephoto.adapters.aws.dynamodb_pauses import PAUSE_ID, DynamoDbPauseRecord
from profilephoto.domain.models import JobStatus
from tests.integration.aws_fixtures import dynamodb_unit_of_work

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_the_pause_item_is_no_job_in_any_listing_and_expires_a_day_after_the_pause():
    with dynamodb_unit_of_work() as (uow, client):
        DynamoDbPauseRecord(client).extend(NOON + timedelta(seconds=53))

        assert uow.jobs.get(PAUSE_ID) is None
        later = NOON + timedelta(days=2)
        for status in JobStatus:
            assert uow.jobs.list_created_before(status, later, 100) == []
            assert uow.jobs.list_created(status, NOON - timedelta(days=1), later) == []
        item = client.get_item(TableName="ImageJobs", Key={"jobId": {"S": PAUSE_ID}})["Item"]
        assert int(item["ttl"]["N"]) == int((NOON + timedelta(days=1, seconds=53)).timestamp())
