"""The one container the handlers use: built on first use per cold start, or installed by a host."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from profilephoto.settings import Settings, load_settings

if TYPE_CHECKING:  # the containers (and dependency-injector) load on the first request
    from profilephoto.containers.core import Application


class Runtime(Protocol):
    """What handlers need from a runtime container (AwsContainer, LocalContainer, ...)."""

    @property
    def application(self) -> Callable[[], Application]:
        """The provider of the runtime's one typed Application."""


_lock = threading.RLock()  # once() builders may read settings()
T = TypeVar("T")
_installed: Runtime | None = None
_settings: Settings | None = None
# What handlers build once per cold start from the runtime (e.g. resolvers with its CORS).
_built: dict[str, Any] = {}


@dataclass
class Binding:
    """A runtime a host's request or worker thread runs against, with what handlers built
    for it: several runtimes (two `profilephoto.local()` apps) may live in one process."""

    runtime: Runtime
    settings: Settings
    built: dict[str, Any] = field(default_factory=dict)


_bound: ContextVar[Binding | None] = ContextVar("profilephoto_runtime", default=None)


@contextmanager
def bound(binding: Binding) -> Iterator[None]:
    """Handlers called inside use `binding` instead of the installed runtime (this thread or
    task only; threads a handler starts copy the context and see it too)."""
    token = _bound.set(binding)
    try:
        yield
    finally:
        _bound.reset(token)


def settings() -> Settings:
    global _settings
    if (binding := _bound.get()) is not None:
        return binding.settings
    with _lock:
        if _settings is None:
            _settings = load_settings()
        return _settings


def container() -> Runtime:
    """The runtime container; the AWS one unless a host installed another."""
    global _installed
    if (binding := _bound.get()) is not None:
        return binding.runtime
    if _installed is None:
        from profilephoto.bootstrap import bootstrap

        built = bootstrap("aws", settings())
        with _lock:
            _installed = _installed or built
    return _installed


def application() -> Application:
    """The use cases of the installed runtime, typed: what every handler calls."""
    return container().application()


def once(name: str, build: Callable[[], T]) -> T:
    """`build()` the first time per installed runtime (a new runtime is a new cold start)."""
    binding = _bound.get()
    built = binding.built if binding is not None else _built
    with _lock:
        if name not in built:
            built[name] = build()
        return cast(T, built[name])


def install(runtime: Runtime | None, runtime_settings: Settings | None = None) -> None:
    """Make handlers use `runtime` (the local server, tests); None forgets it."""
    global _installed, _settings
    with _lock:
        _installed = runtime
        _settings = runtime_settings
        _built.clear()
