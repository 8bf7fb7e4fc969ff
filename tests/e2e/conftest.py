"""What several end-to-end modules start: the memory runtime for the handlers, moto's server
for an AWS stack, the local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from profilephoto.containers.memory import MemoryContainer
from profilephoto.entrypoints.aws_lambda import runtime
from profilephoto.settings import load_settings
from tests.e2e.local_server import LocalServer, running


@pytest.fixture
def memory_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryContainer]:
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.example.com,http://localhost:8000")
    container = MemoryContainer()
    runtime.install(container, load_settings())
    yield container
    runtime.install(None)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """moto's server, one a module, for the stacks its tests deploy (tests/e2e/aws_stack.py)."""
    from tests.e2e.aws_stack import moto_server

    with moto_server() as url:
        yield url


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    """`profilephoto serve` over a fresh data directory."""
    with running(tmp_path / "data") as started:
        yield started
