"""The local WebSocket hub: the Notifier that pushes to the server's live connections."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future

from profilephoto.domain.models import JobStatusMessage

log = logging.getLogger(__name__)

Send = Callable[[str], None]


class WebSocketHub:
    """Live connections by id, each with its owner and a `send(text)`; thread-safe.

    A send that fails means the socket is gone, so the connection is forgotten, the way
    the AWS notifier forgets a connection API Gateway reports as gone.
    """

    def __init__(self) -> None:
        self._connections: dict[str, tuple[str, Send]] = {}
        self._lock = threading.Lock()

    def register(self, user_id: str, connection_id: str, send: Send) -> None:
        with self._lock:
            self._connections[connection_id] = (user_id, send)

    def unregister(self, connection_id: str) -> None:
        with self._lock:
            self._connections.pop(connection_id, None)

    def connections_of(self, user_id: str) -> list[str]:
        with self._lock:
            return [cid for cid, (owner, _) in self._connections.items() if owner == user_id]

    def notify(self, user_id: str, message: JobStatusMessage) -> None:
        """Push to every connection of the user and no other. Never raises."""
        text = json.dumps(message.to_json_dict(), separators=(",", ":"))
        with self._lock:
            # A connectionId named at /generate may be anyone's: pushing a result URL to a
            # stranger's socket would leak the photo, so only the owner's sockets qualify.
            targets = [
                (cid, send) for cid, (owner, send) in self._connections.items() if owner == user_id
            ]
        # Sent outside the lock: a slow socket must not block registrations.
        for connection_id, send in targets:
            try:
                send(text)
            except Exception:
                log.warning(
                    "dropping a WebSocket connection that could not be reached",
                    extra={"connectionId": connection_id, "userId": user_id},
                    exc_info=True,
                )
                self.unregister(connection_id)


def loop_sender(
    loop: asyncio.AbstractEventLoop,
    send_text: Callable[[str], Awaitable[None]],
    timeout: float = 5.0,
) -> Send:
    """A plain `send(text)` for an async `send_text` (Starlette's) running on `loop`.

    From another thread (a worker) it waits for the send, so messages arrive in order
    and a dead socket raises. On the loop's own thread waiting would deadlock, so it
    schedules the send and returns.
    """

    def send(text: str) -> None:
        if _running_loop() is loop:
            task = loop.create_task(_as_coroutine(send_text, text))
            task.add_done_callback(_log_failure)
            return
        future: Future[None] = asyncio.run_coroutine_threadsafe(
            _as_coroutine(send_text, text), loop
        )
        try:
            future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    return send


async def _as_coroutine(send_text: Callable[[str], Awaitable[None]], text: str) -> None:
    await send_text(text)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a WebSocket send failed", exc_info=task.exception())
