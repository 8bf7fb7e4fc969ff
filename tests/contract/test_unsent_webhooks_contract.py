"""UnsentWebhooks, the transactional outbox of webhook events: every unit of work keeps a
job's event in the same commit as the job's end, and the record is never a job."""

from __future__ import annotations

from datetime import timedelta

import pytest

from profilephoto.domain.errors import ConditionFailed
from profilephoto.domain.job_lifecycle import (
    cancel,
    complete,
    fail,
    fail_unqueued,
    give_up,
    mark_queued,
)
from profilephoto.domain.models import Job, JobError, JobStatus, Webhook
from profilephoto.domain.reservation import Reservation
from profilephoto.domain.webhooks import WebhookEvent, event_for
from tests.conftest import ALICE, World
from tests.jobs import NOW, claim_of, make_job

HOOK = "https://hooks.example.com/profilephoto"
TTL = int((NOW + timedelta(days=91)).timestamp())
LEASE = NOW + timedelta(minutes=5)
LATER = NOW + timedelta(minutes=10)
BLOCKED = JobError(code="content_blocked", message="blocked")
UNAVAILABLE = JobError(code="queue_unavailable", message="queue down")


def hooked(n: int, *events: JobStatus, at=NOW) -> Job:
    hook = Webhook(url=HOOK, events=events) if events else Webhook(url=HOOK)
    return make_job(n, at=at).model_copy(update={"webhook": hook})


def created(uow, job: Job) -> Job:
    uow.reserve_and_create_job(Reservation(job, "alice#2026-11-29", 10, TTL, job.created_at))
    return job


def processing(uow, job: Job) -> Job:
    return uow.apply(claim_of(job, job.created_at, LEASE))


def unsent(uow) -> list[WebhookEvent]:
    return uow.unsent_webhooks.older_than(LATER + timedelta(days=1), 100)


def test_a_job_with_a_webhook_keeps_its_event_in_the_commit_that_ends_it(uow):
    job = processing(uow, created(uow, hooked(1)))
    change = complete(job, ["s3://results/r.png"], 10, {"model": "m"}, NOW)
    done = uow.apply(change)
    (event,) = unsent(uow)
    assert event == change.event
    assert event.id == f"msg_{'0' * 31}1_completed" and event.type == "job.completed"
    assert (event.url, event.occurred_at, event.job.status) == (HOOK, NOW, JobStatus.COMPLETED)
    assert event.id == event_for(done).id


@pytest.mark.parametrize("end", ["fail", "give_up", "cancel"])
def test_every_end_a_webhook_wants_is_kept(uow, end):
    job = processing(uow, created(uow, hooked(1)))
    change = {
        "fail": lambda: fail(job, BLOCKED, NOW),
        "give_up": lambda: give_up(job, BLOCKED, NOW),
        "cancel": lambda: cancel(job, NOW),
    }[end]()
    uow.apply(change)
    assert [e.type for e in unsent(uow)] == [f"job.{change.target.value}"]


def test_a_job_without_a_webhook_or_whose_webhook_skips_that_end_keeps_nothing(uow):
    plain = processing(uow, created(uow, make_job(1)))
    only_failures = processing(uow, created(uow, hooked(2, JobStatus.FAILED)))
    for job in (plain, only_failures):
        uow.apply(complete(job, ["s3://results/r.png"], 10, {}, NOW))
    assert unsent(uow) == []


def test_a_job_whose_message_never_reached_the_queue_is_not_announced(uow):
    # The caller learnt it from the 503 (and retries with the same Idempotency-Key).
    job = created(uow, hooked(1))
    uow.apply(fail_unqueued(job, UNAVAILABLE, NOW))
    assert uow.jobs.get(job.job_id).status is JobStatus.FAILED
    assert unsent(uow) == []


def test_changes_that_do_not_end_the_job_keep_nothing(uow):
    job = created(uow, hooked(1))
    uow.apply(mark_queued(job, NOW))
    processing(uow, job)
    assert unsent(uow) == []


def test_an_end_refused_by_its_condition_keeps_no_event(uow):
    job = created(uow, hooked(1))
    stale = processing(uow, job)
    uow.apply(cancel(stale, NOW))
    with pytest.raises(ConditionFailed):
        uow.apply(complete(stale, ["s3://results/r.png"], 10, {}, NOW))
    assert [e.type for e in unsent(uow)] == ["job.canceled"]


def test_events_are_listed_oldest_first_before_a_moment_and_up_to_a_limit(uow):
    for n in (3, 1, 2):
        at = NOW + timedelta(minutes=n)
        job = created(uow, hooked(n, at=at))
        uow.apply(cancel(job, at))
    listed = uow.unsent_webhooks.older_than(NOW + timedelta(minutes=3), 100)
    assert [e.job.job_id for e in listed] == [make_job(1).job_id, make_job(2).job_id]
    assert len(uow.unsent_webhooks.older_than(LATER, 2)) == 2
    assert uow.unsent_webhooks.older_than(NOW, 100) == []


def test_a_removed_event_is_gone_and_removing_an_unknown_one_is_no_error(uow):
    job = created(uow, hooked(1))
    uow.apply(cancel(job, NOW))
    (event,) = unsent(uow)
    uow.unsent_webhooks.remove(event.id)
    uow.unsent_webhooks.remove(event.id)
    uow.unsent_webhooks.remove("msg_unknown")
    assert unsent(uow) == []


def test_an_unsent_event_is_no_job_in_any_listing_or_report(uow):
    plain = processing(uow, created(uow, make_job(1)))
    uow.apply(complete(plain, ["s3://results/a.png"], 10, {}, NOW))
    report = uow.usage.report("2026-11-29")
    job = processing(uow, created(uow, hooked(2)))
    uow.apply(complete(job, ["s3://results/b.png"], 10, {}, NOW))
    (event,) = unsent(uow)

    assert uow.jobs.get(event.id) is None
    page = uow.jobs.list_for_user("alice", 100, None)
    assert sorted(j.job_id for j in page.items) == [plain.job_id, job.job_id]
    for status in JobStatus:
        listed = uow.jobs.list_created_before(status, LATER + timedelta(days=2), 100)
        listed += uow.jobs.list_created(status, NOW - timedelta(days=1), LATER)
        assert {j.job_id for j in listed} <= {plain.job_id, job.job_id}
    again = uow.usage.report("2026-11-29")
    assert again is not None and report is not None
    assert again.jobs == {"completed": 2} and again.images == report.images + 1


def test_the_sweep_and_get_jobs_never_see_an_unsent_event(world: World):
    accepted = world.generate(webhook=HOOK)
    world.container.services.cancellation_service().cancel_job(ALICE, accepted.job_id)
    world.uow.apply(cancel(world.uow.jobs.get(world.generate(webhook=HOOK).job_id), NOW))
    assert len(unsent(world.uow)) == 1  # the second end was never queued
    world.clock.advance(timedelta(days=1))
    report = world.reconciler.sweep()
    assert (report.errors, report.requeued, report.failed) == (0, [], [])
    listed = world.jobs_json(ALICE, 100, None)["items"]
    assert [j["status"] for j in listed] == ["canceled", "canceled"]
