"""The one container the handlers use: built on first use per cold start, or installed by a host."""

from __future__ import annotations

import threading
from collections.abc import Callable
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


def settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            _settings = load_settings()
        return _settings


def container() -> Runtime:
    """The runtime container; the AWS one unless a host installed another."""
    global _installed
    if _installed is None:
        from profilephoto.containers.aws import build_aws_container

        built = build_aws_container(settings())
        with _lock:
            _installed = _installed or built
    return _installed


def application() -> Application:
    """The use cases of the installed runtime, typed: what every handler calls."""
    return container().application()


def once(name: str, build: Callable[[], T]) -> T:
    """`build()` the first time per installed runtime (a new runtime is a new cold start)."""
    with _lock:
        if name not in _built:
            _built[name] = build()
        return cast(T, _built[name])


def install(runtime: Runtime | None, runtime_settings: Settings | None = None) -> None:
    """Make handlers use `runtime` (the local server, tests); None forgets it."""
    global _installed, _settings
    with _lock:
        _installed = runtime
        _settings = runtime_settings
        _built.clear()
