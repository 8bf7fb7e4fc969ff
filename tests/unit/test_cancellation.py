from collections.abc import Sequence

import pytest

from profilephoto.adapters.memory import ScriptedImageGenerator
from profilephoto.domain.errors import ContentBlocked, JobFinished, JobNotFound
from profilephoto.domain.models import GeneratedImage, ImageData, JobStatus, Style
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, BOB, make_world


def used(world) -> int:
    return world.queries.get_usage(ALICE).used


def cancel(world, job_id, who=ALICE):
    return world.container.services.cancellation_service().cancel_job(who, job_id)


class CancelsWhileAnswering(ScriptedImageGenerator):
    """A model that answers only after the owner has canceled the job (a slow answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_call = lambda: None

    def generate(
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        self.on_call()
        return super().generate(images, style, aspect_ratio=aspect_ratio, seed=seed)


def test_a_queued_job_is_canceled_refunded_and_the_owner_told(world):
    accepted = world.generate()
    assert used(world) == 1
    canceled = cancel(world, accepted.job_id)
    assert (canceled.job_id, canceled.status) == (accepted.job_id, JobStatus.CANCELED)
    assert world.uow.jobs.get(accepted.job_id).status is JobStatus.CANCELED
    assert used(world) == 0
    ((user, note),) = world.notifier.notifications
    assert (user, note.job_id, note.status) == ("alice", accepted.job_id, JobStatus.CANCELED)
    assert world.job_json(ALICE, accepted.job_id)["status"] == "canceled"


def test_cancelling_twice_answers_the_same_and_refunds_once(world):
    world.generate()
    accepted = world.generate()
    first = cancel(world, accepted.job_id)
    assert cancel(world, accepted.job_id) == first
    assert used(world) == 1
    assert len(world.notifier.notifications) == 1


def test_the_message_of_a_canceled_job_does_nothing(world):
    accepted = world.generate()
    cancel(world, accepted.job_id)
    assert world.process_all() == [Outcome.SKIPPED]
    assert world.generator.calls == [] and world.results.objects == {}
    assert world.uow.users.get("alice").total_images_generated == 0


@pytest.mark.parametrize(
    ("script", "finished"), [([], JobStatus.COMPLETED), ([ContentBlocked()], JobStatus.FAILED)]
)
def test_a_finished_job_cannot_be_canceled(world, script, finished):
    world.generator.then(*script)
    accepted = world.generate()
    world.process_all()
    assert world.uow.jobs.get(accepted.job_id).status is finished
    with pytest.raises(JobFinished):
        cancel(world, accepted.job_id)
    assert world.uow.jobs.get(accepted.job_id).status is finished
    assert used(world) == 1


def test_another_users_job_and_an_unknown_id_are_not_found(world):
    accepted = world.generate()
    for who, job_id in ((BOB, accepted.job_id), (ALICE, "job_" + "0" * 32), (ALICE, None)):
        with pytest.raises(JobNotFound):
            cancel(world, job_id, who)
    assert world.uow.jobs.get(accepted.job_id).status is JobStatus.QUEUED
    assert used(world) == 1


@pytest.mark.parametrize(
    ("port", "method"),
    [("uploads", "read"), ("images", "normalize_upload"), ("inspector", "inspect")],
)
def test_a_cancel_while_the_worker_reads_or_checks_the_photos_saves_the_model_call(port, method):
    world = make_world()
    accepted = world.generate()
    (message,) = world.queue.drain()
    adapter = getattr(world, port)
    original = getattr(adapter, method)

    def cancel_then(*args, **kwargs):
        cancel(world, accepted.job_id)  # the owner cancels while the worker is at this step
        return original(*args, **kwargs)

    setattr(adapter, method, cancel_then)
    assert world.processing.process(message).outcome is Outcome.SKIPPED
    assert world.generator.calls == []
    assert world.results.objects == {}
    assert world.uow.jobs.get(accepted.job_id).status is JobStatus.CANCELED
    assert used(world) == 0
    assert [n.status for _, n in world.notifier.notifications] == [JobStatus.CANCELED]


def test_a_worker_whose_job_is_canceled_mid_call_stores_counts_and_pushes_nothing():
    world = make_world()
    slow = CancelsWhileAnswering()
    world.container.generator.override(slow)
    accepted = world.generate()
    slow.on_call = lambda: cancel(world, accepted.job_id)
    assert world.process_all() == [Outcome.DISCARDED]
    assert len(slow.calls) == 1
    assert world.results.objects == {}
    assert world.uow.jobs.get(accepted.job_id).status is JobStatus.CANCELED
    assert world.uow.users.get("alice").total_images_generated == 0
    assert used(world) == 0
    # The claim's push and the cancel's: the discarded answer pushes nothing.
    statuses = [n.status for _, n in world.notifier.notifications]
    assert statuses == [JobStatus.PROCESSING, JobStatus.CANCELED]


def test_a_worker_that_loses_the_completing_write_to_a_cancel_deletes_what_it_stored():
    world = make_world()
    accepted = world.generate()
    (message,) = world.queue.drain()
    results = world.results
    original_write = results.write

    def write_then_cancel(key: str, data: bytes, content_type: str) -> None:
        original_write(key, data, content_type)
        cancel(world, accepted.job_id)  # the owner cancels between the store and the commit

    results.write = write_then_cancel  # type: ignore[method-assign]
    assert world.processing.process(message).outcome is Outcome.DISCARDED
    assert results.objects == {}
    assert world.uow.users.get("alice").total_images_generated == 0
    assert used(world) == 0


def test_a_canceled_job_can_be_deleted(world):
    accepted = world.generate()
    cancel(world, accepted.job_id)
    assert world.deletion.delete_job(ALICE, accepted.job_id).job_id == accepted.job_id
    assert world.uow.jobs.get(accepted.job_id) is None
    assert used(world) == 0
