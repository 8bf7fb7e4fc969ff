"""The one composition root: every entrypoint gets its runtime's container from here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:  # each runtime's adapters load only when that runtime is asked for
    from profilephoto.containers.aws import AwsContainer
    from profilephoto.containers.local import LocalContainer
    from profilephoto.containers.memory import MemoryContainer
    from profilephoto.settings import Settings

LOCAL_URL = "http://127.0.0.1:8000"


@overload
def bootstrap(runtime: Literal["aws"], settings: Settings) -> AwsContainer: ...


@overload
def bootstrap(
    runtime: Literal["local"],
    settings: Settings,
    *,
    data_dir: Path | str,
    base_url: str = LOCAL_URL,
    visibility_timeout: float | None = None,
) -> LocalContainer: ...


@overload
def bootstrap(runtime: Literal["memory"]) -> MemoryContainer: ...


def bootstrap(
    runtime: Literal["aws", "local", "memory"],
    settings: Settings | None = None,
    *,
    data_dir: Path | str | None = None,
    base_url: str = LOCAL_URL,
    visibility_timeout: float | None = None,
) -> AwsContainer | LocalContainer | MemoryContainer:
    """The container of `runtime`, its adapters wired to the use cases (containers/), built
    lazily: the deployed stack named by `settings` (aws), SQLite and files under `data_dir`
    with object URLs on `base_url` (local), or the in-memory fakes (memory)."""
    if runtime == "memory":
        from profilephoto.containers.memory import MemoryContainer

        return MemoryContainer()
    if settings is None:
        raise ValueError(f"the {runtime} runtime is built from settings")
    if runtime == "aws":
        from profilephoto.containers.aws import build_aws_container

        return build_aws_container(settings)
    if data_dir is None:
        raise ValueError("the local runtime needs its data directory")
    from profilephoto.containers.local import build_local_container

    return build_local_container(settings, data_dir, base_url, visibility_timeout)
