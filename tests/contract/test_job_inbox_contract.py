"""JobInbox: the worker's side of the queues an in-process host drains (SQLite and memory)
behaves alike, so one worker serves `profilephoto.local()` and `profilephoto.memory()`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
from profilephoto.adapters.memory import InMemoryJobQueue
from profilephoto.domain.models import JobMessage
from profilephoto.domain.ports import JobInbox, JobQueue


def message(n: int) -> JobMessage:
    return JobMessage(
        job_id=f"job_{n:032x}", user_id="alice", file_key="uploads/alice/k.jpg", style="casual"
    )


@pytest.fixture(params=["memory", "local"])
def inbox(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryJobQueue(visibility_timeout=3600)
        return
    with tempfile.TemporaryDirectory() as tmp:
        queue = SqliteJobQueue(Path(tmp) / "queue.sqlite3", visibility_timeout=3600)
        yield queue
        queue.close()


def test_both_adapters_are_a_queue_and_an_inbox(inbox: Any) -> None:
    sender: JobQueue = inbox
    receiver: JobInbox = inbox
    assert sender is receiver


def test_messages_come_oldest_first_at_most_as_many_as_asked(inbox: JobInbox) -> None:
    for n in range(3):
        inbox.send(message(n))  # type: ignore[attr-defined]
    first = inbox.receive(2)
    assert [m.body for m in first] == [message(0), message(1)]
    assert [m.receive_count for m in first] == [1, 1]
    assert [m.body for m in inbox.receive(10)] == [message(2)]


def test_a_received_message_is_hidden_until_released(inbox: JobInbox) -> None:
    inbox.send(message(1))  # type: ignore[attr-defined]
    [taken] = inbox.receive(10)
    assert inbox.receive(10) == []
    inbox.release(taken.message_id, 3600)
    assert inbox.receive(10) == []
    inbox.release(taken.message_id)
    [again] = inbox.receive(10)
    assert (again.message_id, again.body, again.receive_count) == (taken.message_id, taken.body, 2)


def test_a_deleted_message_never_comes_back(inbox: JobInbox) -> None:
    inbox.send(message(1))  # type: ignore[attr-defined]
    [taken] = inbox.receive(10)
    inbox.delete(taken.message_id)
    inbox.release(taken.message_id)
    inbox.delete("no-such-message")
    assert inbox.receive(10) == []
