"""The library a host imports: one interface over the memory and the local runtime."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import profilephoto
from profilephoto.settings import load_settings
from tests.photos import portrait_jpeg

PHOTO = portrait_jpeg()


@pytest.fixture(params=["memory", "local"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[profilephoto.ProfilePhoto]:
    if request.param == "memory":
        with profilephoto.memory() as opened:
            yield opened
    else:
        settings = load_settings(QUALITY_CHECK="off", DAILY_LIMIT="3")
        with profilephoto.local(tmp_path, settings=settings) as opened:
            yield opened


def test_a_photo_goes_from_upload_to_result_bytes(app: profilephoto.ProfilePhoto) -> None:
    key = app.upload("alice", PHOTO)
    job = app.generate("alice", key, style="professional", count=1, aspect_ratio="1:1")
    assert job.status in ("queued", "processing", "completed")

    done = app.wait("alice", job.job_id, timeout=60)

    assert done.status is profilephoto.JobStatus.COMPLETED
    assert done.result_url == done.result_urls[0]
    images = app.results("alice", job.job_id)
    assert len(images) == 1 and images[0][:4] == b"\x89PNG"
    assert app.usage("alice").used == 1
    assert [j.job_id for j in app.jobs("alice").items] == [job.job_id]


def test_the_upload_type_comes_from_the_bytes_not_a_name(app: profilephoto.ProfilePhoto) -> None:
    assert app.upload("alice", PHOTO).endswith(".jpg")
    with pytest.raises(profilephoto.InvalidImage) as refused:
        app.upload("alice", b"just some text, renamed .jpg")
    assert refused.value.code == "invalid_image"


def test_errors_carry_the_http_apis_codes(app: profilephoto.ProfilePhoto) -> None:
    key = app.upload("alice", PHOTO)
    with pytest.raises(profilephoto.UnknownStyle) as unknown:
        app.generate("alice", key, style="no-such-style")
    assert unknown.value.code == "unknown_style"
    with pytest.raises(profilephoto.Forbidden):
        app.generate("bob", key)
    with pytest.raises(profilephoto.JobNotFound):
        app.job("alice", "job_" + "0" * 32)
    assert issubclass(profilephoto.QuotaExceeded, profilephoto.ProfilePhotoError)


def test_another_users_job_is_not_found(app: profilephoto.ProfilePhoto) -> None:
    job = app.generate("alice", app.upload("alice", PHOTO))
    for call in (app.job, app.results, app.cancel, app.delete_job):
        with pytest.raises(profilephoto.JobNotFound):
            call("bob", job.job_id)


@pytest.mark.parametrize("user_id", ["", "a/b", "__global__", "x" * 129, "a#b"])
def test_a_user_id_that_could_reach_another_prefix_is_refused(
    app: profilephoto.ProfilePhoto, user_id: str
) -> None:
    with pytest.raises(profilephoto.InvalidRequest):
        app.upload(user_id, PHOTO)


def test_cancel_delete_and_delete_me(app: profilephoto.ProfilePhoto) -> None:
    job = app.generate("alice", app.upload("alice", PHOTO))
    try:
        canceled = app.cancel("alice", job.job_id)
        assert canceled.status is profilephoto.JobStatus.CANCELED
    except profilephoto.JobFinished:  # the worker was faster: it is completed
        assert app.job("alice", job.job_id).status is profilephoto.JobStatus.COMPLETED
    app.delete_job("alice", job.job_id)
    with pytest.raises(profilephoto.JobNotFound):
        app.job("alice", job.job_id)

    second = app.generate("alice", app.upload("alice", PHOTO))
    app.wait("alice", second.job_id, timeout=60)
    app.delete_me("alice")
    assert app.jobs("alice").items == []


def test_the_quota_is_the_apis(tmp_path: Path) -> None:
    settings = load_settings(QUALITY_CHECK="off", DAILY_LIMIT="1")
    with profilephoto.local(tmp_path, settings=settings) as app:
        app.generate("alice", app.upload("alice", PHOTO))
        with pytest.raises(profilephoto.QuotaExceeded) as exceeded:
            app.generate("alice", app.upload("alice", PHOTO))
    assert exceeded.value.code == "quota_exceeded"
    assert exceeded.value.retry_after > 0


def test_wait_gives_up_with_a_timeout_error_and_the_job_goes_on(tmp_path: Path) -> None:
    settings = load_settings(QUALITY_CHECK="off")
    with profilephoto.local(tmp_path, settings=settings, worker_threads=0) as app:
        job = app.generate("alice", app.upload("alice", PHOTO))
        with pytest.raises(profilephoto.WaitTimedOut) as late:
            app.wait("alice", job.job_id, timeout=0.2)
        assert isinstance(late.value, TimeoutError) and late.value.code == "wait_timed_out"
        assert app.job("alice", job.job_id).status is profilephoto.JobStatus.QUEUED


def test_the_worker_threads_stop_when_the_app_closes(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with profilephoto.local(tmp_path, settings=load_settings(QUALITY_CHECK="off")) as app:
        app.wait("alice", app.generate("alice", app.upload("alice", PHOTO)).job_id, timeout=60)
        assert set(threading.enumerate()) - before
    assert {t for t in set(threading.enumerate()) - before if t.is_alive()} == set()


def test_a_job_left_queued_at_close_is_done_by_the_next_app(tmp_path: Path) -> None:
    settings = load_settings(QUALITY_CHECK="off")
    with profilephoto.local(tmp_path, settings=settings, worker_threads=0) as app:
        job = app.generate("alice", app.upload("alice", PHOTO))
    with profilephoto.local(tmp_path, settings=settings) as app:
        assert app.wait("alice", job.job_id, timeout=60).status == "completed"


def test_two_apps_in_one_process_keep_apart(tmp_path: Path) -> None:
    settings = load_settings(QUALITY_CHECK="off")
    with (
        profilephoto.local(tmp_path / "a", settings=settings) as first,
        profilephoto.local(tmp_path / "b", settings=settings) as second,
    ):
        job = first.generate("alice", first.upload("alice", PHOTO))
        first.wait("alice", job.job_id, timeout=60)
        with pytest.raises(profilephoto.JobNotFound):
            second.job("alice", job.job_id)
        assert second.usage("alice").used == 0
