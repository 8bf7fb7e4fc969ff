"""The embedded default: SQLite unit of work and queue, filesystem objects behind real HTTP."""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from profilephoto.adapters.local.filesystem import FilesystemObjectStore
from profilephoto.adapters.local.sqlite_pauses import SqlitePauseRecord
from profilephoto.adapters.local.sqlite_queue import SqliteJobQueue
from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
from profilephoto.domain.errors import ProfilePhotoError
from profilephoto.domain.models import PresignedRequest
from profilephoto.domain.ports import UnitOfWork
from tests.contract.runtimes import PauseHarness, QueueHarness, StoreHarness

SIGNING_KEY = b"contract-signing-key-0123456789ab"


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    with tempfile.TemporaryDirectory() as tmp:
        uow = SqliteUnitOfWork(Path(tmp) / "profilephoto.sqlite3")
        try:
            yield uow
        finally:
            uow.close()


@contextmanager
def object_store() -> Iterator[StoreHarness]:
    with tempfile.TemporaryDirectory() as tmp, _object_server() as (server, base_url):
        store = FilesystemObjectStore(Path(tmp), "contract", base_url, SIGNING_KEY)
        server.stores = {store.bucket: store}  # type: ignore[attr-defined]

        def upload(request: PresignedRequest, data: bytes) -> None:
            put = urllib.request.Request(
                request.url, data=data, method=request.method, headers=request.headers
            )
            with urllib.request.urlopen(put, timeout=10) as response:
                assert response.status == 200

        yield StoreHarness(store, upload)


@contextmanager
def job_queue() -> Iterator[QueueHarness]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "queue.sqlite3"
        queue = SqliteJobQueue(path, busy_timeout=0.05)
        with lockable(queue, path) as (receive, break_next_send):
            yield QueueHarness(queue, receive, break_next_send)


@contextmanager
def lockable(
    queue: SqliteJobQueue, path: Path
) -> Iterator[tuple[Callable[[], list[Any]], Callable[[], None]]]:
    """`receive` (every visible message's body, taken off) and `break_next_send` for a SQLite
    queue, closed after the block. The real failure: another process holds the write lock."""
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def break_next_send() -> None:
        queue.depth()  # creates the file and schema before we lock it
        blocker.execute("BEGIN EXCLUSIVE")

    def receive() -> list[Any]:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        taken = queue.receive(10)
        for message in taken:
            queue.delete(message.message_id)
        return [message.body for message in taken]

    try:
        yield receive, break_next_send
    finally:
        blocker.close()
        queue.close()


@contextmanager
def pause_record() -> Iterator[PauseHarness]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "profilephoto.sqlite3"
        records = [SqlitePauseRecord(path, busy_timeout=0.05)]
        # The real failure: another process holds the database's write lock.
        blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

        def another() -> SqlitePauseRecord:
            records.append(SqlitePauseRecord(path, busy_timeout=0.05))
            return records[-1]

        def break_next() -> None:
            records[0].paused_until()  # creates the file and schema before we lock it
            blocker.execute("BEGIN EXCLUSIVE")

        try:
            yield PauseHarness(records[0], another, break_next)
        finally:
            blocker.close()
            for record in records:
                record.close()


class _ObjectHandler(BaseHTTPRequestHandler):
    """What the local server's object route does, in a few lines."""

    def do_PUT(self) -> None:
        bucket, key, query = self._target()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            store = self.server.stores[bucket]  # type: ignore[attr-defined]
            store.accept_upload(key, query, self.headers.get("Content-Type"), body)
        except ProfilePhotoError as error:
            self.send_error(403 if error.code == "forbidden" else 400, error.message)
            return
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _target(self) -> tuple[str, str, dict[str, str]]:
        parts = urlsplit(self.path)
        _, _, bucket, key = parts.path.split("/", 3)
        return unquote(bucket), unquote(key), dict(parse_qsl(parts.query))

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet


@contextmanager
def _object_server() -> Iterator[tuple[ThreadingHTTPServer, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ObjectHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
