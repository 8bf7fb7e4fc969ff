"""RESULT_RETENTION_DAYS: the job says when it expires, and the sweep deletes only what is due."""

from datetime import timedelta

import pytest

from profilephoto.domain.models import JobStatus
from tests.conftest import ALICE, make_world


def sweep(world) -> int:
    return world.container.services.retention().sweep()


def test_a_job_says_when_it_and_its_result_expire():
    world = make_world(result_retention_days=30)
    accepted = world.generate()
    world.process_all()
    view = world.job_json(ALICE, accepted.job_id)
    assert view["createdAt"] == "2026-11-29T12:00:00.000Z"
    assert view["expiresAt"] == "2026-12-29T12:00:00.000Z"
    assert view["resultUrl"].endswith("?expires=3600")


def test_a_result_url_never_outlives_the_result():
    world = make_world(result_retention_days=30)
    accepted = world.generate()
    world.process_all()
    world.clock.advance(timedelta(days=30) - timedelta(minutes=10))
    assert world.job_json(ALICE, accepted.job_id)["resultUrl"].endswith("?expires=600")


def test_the_sweep_deletes_finished_jobs_past_their_deadline_and_nothing_else():
    world = make_world(result_retention_days=30)
    old = world.generate()
    world.process_all()
    world.clock.advance(timedelta(days=10))
    young = world.generate()
    world.process_all()
    waiting = world.generate()  # never processed: not finished, never expired by retention
    world.clock.advance(timedelta(days=20, seconds=1))

    assert sweep(world) == 1

    assert world.uow.jobs.get(old.job_id) is None
    assert not [k for k in world.results.objects if old.job_id in k]
    assert world.uow.jobs.get(young.job_id) is not None
    assert [k for k in world.results.objects if young.job_id in k]
    assert world.uow.jobs.get(waiting.job_id) is not None
    assert sweep(world) == 0  # nothing more is due


def test_with_retention_off_nothing_expires():
    world = make_world(result_retention_days=0)
    accepted = world.generate()
    world.process_all()
    assert "expiresAt" not in world.job_json(ALICE, accepted.job_id)
    world.clock.advance(timedelta(days=3650))
    assert sweep(world) == 0
    assert world.uow.jobs.get(accepted.job_id) is not None


@pytest.mark.parametrize("status", list(JobStatus), ids=str)
def test_the_sweep_takes_every_terminal_state_and_no_other(status):
    """A state added to TERMINAL_STATUSES is swept with no change to retention; a job in any
    other state is never deleted by it, however old."""
    world = make_world(result_retention_days=30)
    accepted = world.generate()
    job = world.uow.jobs.get(accepted.job_id)
    world.uow.job_records[job.job_id] = job.model_copy(update={"status": status})
    world.clock.advance(timedelta(days=31))
    assert sweep(world) == (1 if status.is_terminal else 0)
    assert (world.uow.jobs.get(accepted.job_id) is None) is status.is_terminal
