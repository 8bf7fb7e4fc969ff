"""The local server's Starlette app under uvicorn in a thread of the test process."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from profilephoto.entrypoints.local.server import create_app
from tests.e2e.local_server import free_port


class InProcessServer:
    """`profilephoto serve` without a subprocess, so a test can tune the interpreter it runs in."""

    def __init__(self, data_dir: Path, **options: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(data_dir, port=self.port, **options)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> InProcessServer:
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(60)

    def token(self, user_id: str) -> str:
        token: str = self.app.state.container.auth().issue(user_id)
        return token
