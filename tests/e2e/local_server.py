"""`profilephoto serve` as a real subprocess on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SCRIPT = Path(sys.executable).parent / "profilephoto"


def command(*args: str) -> list[str]:
    """The installed console script, or the module when the venv has none."""
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "profilephoto.entrypoints.cli", *args]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalServer:
    """One `profilephoto serve` over `data_dir`; `start()` waits until it answers. `script`:
    another install's `profilephoto` (the shipped runtime venv), not the test venv's."""

    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None, script: Path | None = None
    ) -> None:
        self.script = script
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log = data_dir.parent / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> LocalServer:
        args = self.command("serve", "--port", str(self.port), "--data-dir", str(self.data_dir))
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not come up:\n{self.output()}")

    def token(self, user_id: str = "alice") -> str:
        args = self.command("token", user_id, "--data-dir", str(self.data_dir))
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()

    def command(self, *args: str) -> list[str]:
        return [str(self.script), *args] if self.script else command(*args)

    def stop(self) -> None:
        """A graceful stop, as Ctrl-C would do it."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def crash(self) -> None:
        """kill -9: no shutdown, no batch finished, nothing settled."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@contextmanager
def running(data_dir: Path, *, crash: bool = False, **env: str) -> Iterator[LocalServer]:
    """A server for the block, stopped after it; `crash`: killed instead, for a worker still
    busy (a slow model, OFFLINE_DELAY_SECONDS) that a graceful stop would wait for."""
    server = LocalServer(data_dir, env=env).start()
    try:
        yield server
    finally:
        if crash:
            server.crash()
        else:
            server.stop()
