"""DELETE /me: everything of the caller's goes but the usage counts, also mid-job."""

from datetime import UTC, datetime

from profilephoto.domain.models import Connection
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, BOB, make_world
from tests.unit.test_cancellation import CancelsWhileAnswering


def delete_me(world, who=ALICE):
    return world.container.services.account_service().delete_account(who)


def used(world, who=ALICE) -> int:
    return world.queries.get_usage(who).used


def connect(world, connection_id: str, user_id: str) -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    world.uow.connections.add(
        Connection(connection_id=connection_id, user_id=user_id, connected_at=now, ttl=2**31)
    )


def test_deleting_an_account_removes_photos_results_jobs_sockets_and_record_but_not_usage():
    world = make_world()
    finished = world.generate()
    world.process_all()
    bobs = world.generate(BOB)
    world.process_all()
    world.generate()  # still queued
    world.upload()  # uploaded, never used
    connect(world, "alice-socket", "alice")
    connect(world, "bob-socket", "bob")
    assert world.uow.users.get("alice") is not None

    delete_me(world)

    assert not [k for k in world.uploads.objects if k.startswith("uploads/alice/")]
    assert not [k for k in world.results.objects if k.startswith("results/alice/")]
    assert world.jobs_json(ALICE, None, None)["items"] == []
    assert world.uow.jobs.get(finished.job_id) is None
    assert world.uow.connections.list_for_user("alice") == []
    assert world.uow.users.get("alice") is None
    # The completed job's unit stays spent; the queued one's came back when it was canceled.
    assert used(world) == 1
    # Bob is untouched.
    assert world.job_json(BOB, bobs.job_id)["status"] == "completed"
    assert [c.connection_id for c in world.uow.connections.list_for_user("bob")] == ["bob-socket"]
    assert any(k.startswith("results/bob/") for k in world.results.objects)


def test_a_job_processing_while_the_account_is_deleted_leaves_no_result_behind():
    world = make_world()
    slow = CancelsWhileAnswering()
    world.container.generator.override(slow)
    accepted = world.generate()
    slow.on_call = lambda: delete_me(world)  # the model answers after the account is gone
    assert world.process_all() == [Outcome.DISCARDED]
    assert world.results.objects == {} and world.uploads.objects == {}
    assert world.uow.jobs.get(accepted.job_id) is None
    assert used(world) == 0


def test_deleting_twice_is_harmless_and_an_unknown_account_is_fine(world):
    world.generate()
    delete_me(world)
    delete_me(world)  # a repeat finishes nothing more and fails nothing
    delete_me(world, BOB)
    assert world.uow.jobs.list_for_user("alice", 10, None).items == []


def test_an_account_with_more_jobs_than_one_page_is_deleted_whole():
    world = make_world(daily_limit=500)
    for _ in range(230):
        world.generate()
    world.process_all()
    delete_me(world)
    assert world.uow.jobs.list_for_user("alice", 100, None).items == []
    assert world.results.objects == {} and world.uploads.objects == {}
