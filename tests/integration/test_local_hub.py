"""The local WebSocket hub: pushes to a user's live sockets, never raises, thread-safe."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from profilephoto.adapters.local.hub import WebSocketHub, loop_sender
from profilephoto.domain.models import JobError, JobStatus, JobStatusMessage

DONE = JobStatusMessage(job_id="job_1", status=JobStatus.COMPLETED, result_url="http://x/r")


class Socket:
    def __init__(self) -> None:
        self.received: list[dict] = []

    def send(self, text: str) -> None:
        self.received.append(json.loads(text))


def test_a_notification_reaches_every_connection_of_the_user_only():
    hub, a1, a2, b1 = WebSocketHub(), Socket(), Socket(), Socket()
    hub.register("alice", "c1", a1.send)
    hub.register("alice", "c2", a2.send)
    hub.register("bob", "c3", b1.send)
    hub.notify("alice", DONE)
    expected = {
        "type": "jobStatus",
        "jobId": "job_1",
        "status": "completed",
        "resultUrl": "http://x/r",
    }
    assert a1.received == a2.received == [expected]
    assert b1.received == []


def test_a_failed_error_is_pushed_with_its_code():
    hub, socket = WebSocketHub(), Socket()
    hub.register("alice", "c1", socket.send)
    failed = JobStatusMessage(
        job_id="job_1", status=JobStatus.FAILED, error=JobError(code="timed_out", message="late")
    )
    hub.notify("alice", failed)
    assert socket.received[0]["error"] == {"code": "timed_out", "message": "late"}


def test_a_dead_socket_never_raises_and_is_forgotten():
    hub, alive = WebSocketHub(), Socket()

    def dead(text: str) -> None:
        raise ConnectionError("gone")

    hub.register("alice", "c1", dead)
    hub.register("alice", "c2", alive.send)
    hub.notify("alice", DONE)
    assert len(alive.received) == 1
    assert hub.connections_of("alice") == ["c2"]


def test_unregister_stops_pushes_and_is_idempotent():
    hub, socket = WebSocketHub(), Socket()
    hub.register("alice", "c1", socket.send)
    hub.unregister("c1")
    hub.unregister("c1")
    hub.notify("alice", DONE)
    assert socket.received == []


def test_concurrent_registrations_and_notifications_are_safe():
    hub = WebSocketHub()
    sockets = [Socket() for _ in range(50)]

    def churn(n: int) -> None:
        hub.register("alice", f"c{n}", sockets[n].send)
        hub.notify("alice", DONE)

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(hub.connections_of("alice")) == 50
    assert all(s.received for s in sockets)


def test_a_loop_sender_delivers_from_a_worker_thread_in_order():
    hub = WebSocketHub()
    received: list[str] = []

    async def send_text(text: str) -> None:
        await asyncio.sleep(0)
        received.append(json.loads(text)["status"])

    async def server() -> None:
        hub.register("alice", "c1", loop_sender(asyncio.get_running_loop(), send_text))
        statuses = [JobStatus.PROCESSING, JobStatus.COMPLETED]

        def worker() -> None:
            for status in statuses:
                hub.notify("alice", JobStatusMessage(job_id="job_1", status=status))

        await asyncio.to_thread(worker)
        hub.notify("alice", JobStatusMessage(job_id="job_1", status=JobStatus.FAILED))
        await asyncio.sleep(0.01)  # the loop's own send is scheduled, not awaited

    asyncio.run(server())
    assert received == ["processing", "completed", "failed"]


def test_a_loop_sender_surfaces_a_closed_socket_so_the_hub_forgets_it():
    hub = WebSocketHub()

    async def closed(text: str) -> None:
        raise RuntimeError("Cannot call send once a close message has been sent")

    async def server() -> None:
        hub.register("alice", "c1", loop_sender(asyncio.get_running_loop(), closed))
        await asyncio.to_thread(hub.notify, "alice", DONE)

    asyncio.run(server())
    assert hub.connections_of("alice") == []


def test_a_loop_sender_times_out_instead_of_hanging_a_worker():
    hub = WebSocketHub()

    async def stuck(text: str) -> None:
        await asyncio.sleep(10)

    async def server() -> None:
        sender = loop_sender(asyncio.get_running_loop(), stuck, timeout=0.05)
        hub.register("alice", "c1", sender)
        await asyncio.to_thread(hub.notify, "alice", DONE)

    asyncio.run(server())
    assert hub.connections_of("alice") == []


@pytest.fixture(autouse=True)
def _quiet_logs(caplog):
    caplog.set_level("ERROR", logger="profilephoto.adapters.local.hub")
