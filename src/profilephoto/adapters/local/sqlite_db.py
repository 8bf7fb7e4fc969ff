"""One SQLite file shared by threads: a connection per thread, WAL, immediate transactions."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from profilephoto.domain.errors import ServiceUnavailable


class SqliteDatabase:
    """A database file and its schema; every thread gets its own connection on first use.

    Writes go through `transaction()`, which takes the write lock up front
    (`BEGIN IMMEDIATE`): a read-check-write inside it is atomic, the way a DynamoDB
    condition expression is, and concurrent writers wait `busy_timeout` instead of failing.
    """

    def __init__(
        self,
        path: Path | str,
        schema: str,
        busy_timeout: float = 10.0,
        unavailable: type[ServiceUnavailable] = ServiceUnavailable,
    ) -> None:
        self.path = Path(path)
        self._schema = schema
        self._busy_timeout = busy_timeout
        self._unavailable = unavailable
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._ready = False

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self.translated():
                conn = self._open()
            self._local.conn = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing opens a
        # deferred transaction behind our back. check_same_thread=False only so close()
        # may close every thread's connection; each is still used by one thread.
        conn = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._lock:
            if not self._ready:
                self._prepare(conn)
                self._ready = True
            self._all.append(conn)
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL and create the schema, waiting out other openers.

        Switching to WAL takes an exclusive lock, and SQLite answers "database is locked"
        at once, without calling the busy handler, when waiting could deadlock (this
        connection holds a shared lock while another process writes or switches too). Two
        processes opening one fresh data directory meet exactly that, so the setup (every
        step of it idempotent) is retried until `busy_timeout` runs out.
        """
        deadline = time.monotonic() + self._busy_timeout
        pause = 0.005
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.executescript(self._schema)
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() + pause > deadline:
                    raise
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An all-or-nothing write: committed on success, rolled back on any exception."""
        conn = self.connection()
        with self.translated():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def translated(self) -> Iterator[None]:
        """The one place SQLite errors become the domain's (locked, full, corrupt...)."""
        try:
            yield
        except sqlite3.Error as error:
            raise self._unavailable(f"local database error: {error}") from error

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """A read outside any transaction (WAL readers see the last commit, never block)."""
        with self.translated():
            return self.connection().execute(sql, params).fetchall()

    def close(self) -> None:
        """Close every thread's connection; the database can be opened again afterwards."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


def _is_busy(error: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, whatever the extended code."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return "locked" in str(error) or "busy" in str(error)
    return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
