"""DELETE /me on every runtime's store: what it deletes, keeps and refuses meanwhile."""

from __future__ import annotations

import threading

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import AccountDeleting, GenerationFailed, UploadNotFound
from profilephoto.domain.models import Identity, Job
from profilephoto.domain.webhooks import Verdict
from tests.conftest import ALICE, World


def delete_me(world: World, who: Identity = ALICE) -> None:
    world.container.services.account_service().delete_account(who)


def used(world: World, who: Identity = ALICE) -> int:
    return world.queries.get_usage(who).used


def jobs_of(world: World, user_id: str) -> list[Job]:
    return world.uow.jobs.list_for_user(user_id, 100, None).items


def test_a_generate_that_lands_while_the_account_is_deleted_is_refused_and_charges_nothing(
    world,
):
    key = world.upload()
    outcomes: list[object] = []
    clear_uploads = world.uploads.delete_prefix

    def generate_in_the_window(prefix: str, keep=()) -> int:
        # After the cancel pass, before the job records go: the window the probe found.
        try:
            outcomes.append(
                world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
            )
        except AccountDeleting as refused:
            outcomes.append(refused)
        return clear_uploads(prefix, keep)

    world.uploads.delete_prefix = generate_in_the_window  # type: ignore[method-assign]

    delete_me(world)

    assert [type(o) for o in outcomes] == [AccountDeleting]
    assert jobs_of(world, "alice") == []
    assert used(world) == 0


def test_generate_racing_delete_me_charges_only_for_the_jobs_that_remain(world):
    """Every unit charged is an image made or a job still there, whoever wins each race."""
    keys = [world.upload() for _ in range(8)]
    start = threading.Barrier(len(keys) + 1)
    outcomes: list[str] = []

    def generate(key: str) -> None:
        start.wait()
        try:
            world.generation.request_generation(ALICE, GenerationRequest(key, "professional"))
            outcomes.append("accepted")
        except (AccountDeleting, UploadNotFound):  # refused, or its photo already went
            outcomes.append("refused")

    def delete() -> None:
        start.wait()
        delete_me(world)

    threads = [threading.Thread(target=generate, args=(k,)) for k in keys]
    threads.append(threading.Thread(target=delete))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    world.process_all()

    assert len(outcomes) == len(keys)
    remaining = jobs_of(world, "alice")
    alive = sum(job.count for job in remaining if not job.status.is_terminal)
    made = sum(job.images_made for job in remaining)
    assert used(world) == made + alive


def test_delete_me_forgets_the_idempotency_keys_so_a_key_used_again_starts_afresh(world):
    first = world.generation.request_generation(
        ALICE, GenerationRequest(world.upload(), "professional", idempotency_key="same-key")
    )

    delete_me(world)

    assert world.uow.idempotency.get("alice#same-key", world.clock.now()) is None
    again = world.generation.request_generation(
        ALICE, GenerationRequest(world.upload(), "professional", idempotency_key="same-key")
    )
    assert again.job_id != first.job_id
    assert [job.job_id for job in jobs_of(world, "alice")] == [again.job_id]


def test_a_personal_daily_limit_outlives_delete_me(world):
    world.uow.users.set_daily_limit("alice", 3, world.clock.now())
    world.generate()
    world.process_all()

    delete_me(world)

    assert world.uow.users.get("alice") is None  # the Users record goes (docs/api.md §3.9)
    usage = world.queries.get_usage(ALICE)
    assert (usage.used, usage.limit, usage.remaining_quota) == (1, 3, 2)
    assert world.generate().remaining_quota == 1  # the user's next call finds it again
    assert world.uow.users.get("alice").daily_limit == 3


def test_the_operators_day_report_still_adds_up_after_delete_me(world):
    world.generate(count=2)
    world.process_all()
    world.generator.then(GenerationFailed("no"))
    world.generate()
    world.process_all()
    canceled = world.generate()
    world.container.services.cancellation_service().cancel_job(ALICE, canceled.job_id)
    admin = world.container.services.admin()
    before = admin.report("2026-11-29")
    assert before.jobs["completed"] == 1 and before.images == 2

    delete_me(world)

    assert admin.report("2026-11-29") == before
    assert before.jobs == {
        "pending": 0,
        "queued": 0,
        "processing": 0,
        "completed": 1,
        "failed": 1,
        "canceled": 1,
    }
    assert before.failures == {"generation_failed": 1}
    assert before.tokens == 2 * 30  # the scripted model reports 10 + 20 per image


def test_webhook_events_queued_before_delete_me_are_not_delivered_after_it(world):
    """The account is gone: its jobs' events still on the webhook queue (a receiver that was
    down, an end announced as DELETE /me canceled the job) are dropped, not POSTed."""
    hook = "https://hooks.example.com/profilephoto"
    world.generate(webhook=hook)
    world.process_all()  # completed: its event waits on the queue
    world.generate(webhook=hook)  # still queued: DELETE /me cancels it, and announces that

    delete_me(world)

    queued = world.container.webhooks().drain()
    assert sorted(event.type for event in queued) == ["job.canceled", "job.completed"]
    delivery = world.container.services.webhook_delivery()
    outcomes = [delivery.deliver(event, 1) for event in queued]
    assert world.container.webhook_sender().sent == []
    assert [(o.verdict, o.retry_in) for o in outcomes] == [(Verdict.WITHDRAWN, None)] * 2
