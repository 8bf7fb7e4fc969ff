"""The handlers run on whichever runtime a test installs; this one installs the memory runtime."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from profilephoto.containers.memory import MemoryContainer
from profilephoto.entrypoints.aws_lambda import runtime
from profilephoto.settings import load_settings


@pytest.fixture
def memory_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryContainer]:
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.example.com,http://localhost:8000")
    container = MemoryContainer()
    runtime.install(container, load_settings())
    yield container
    runtime.install(None)
