"""Unsent webhook events are ImageJobs items that ride in the transaction ending their job:
never a job (not even read by id), no call of their own, and they expire with the delivery
window."""

from datetime import timedelta

from profilephoto.adapters.aws.dynamodb_outbox import UNSENT
from profilephoto.domain.job_lifecycle import cancel
from profilephoto.domain.models import Webhook
from profilephoto.domain.reservation import Reservation
from profilephoto.domain.webhooks import DELIVERY_WINDOW
from tests.integration.aws_fixtures import dynamodb_unit_of_work
from tests.jobs import NOW, make_job

TTL = int((NOW + timedelta(days=91)).timestamp())


def test_an_end_with_a_webhook_is_one_transaction_whose_event_item_is_no_job():
    with dynamodb_unit_of_work() as (uow, client):
        job = make_job(1).model_copy(update={"webhook": Webhook(url="https://hooks.example.com/")})
        uow.reserve_and_create_job(Reservation(job, "alice#2026-11-29", 10, TTL, NOW))
        calls: list[str] = []
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))

        change = cancel(job, NOW)
        uow.apply(change)

        assert calls == ["TransactWriteItems"]
        assert change.event is not None
        key = f"webhook#{change.event.id}"
        assert uow.jobs.get(key) is None
        item = client.get_item(TableName="ImageJobs", Key={"jobId": {"S": key}})["Item"]
        assert item["status"] == {"S": UNSENT} and "userId" not in item
        assert int(item["ttl"]["N"]) == int((NOW + DELIVERY_WINDOW).timestamp())
