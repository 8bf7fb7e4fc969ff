"""One composition root: every entrypoint asks bootstrap() for its runtime's container."""

from pathlib import Path

import pytest

import profilephoto.entrypoints
from profilephoto.adapters.memory import ScriptedImageGenerator
from profilephoto.bootstrap import bootstrap
from profilephoto.settings import load_settings

ENTRYPOINTS = Path(profilephoto.entrypoints.__file__).parent
AROUND_IT = ("build_local_container", "build_aws_container", "MemoryContainer(", "AwsContainer(")


def test_no_entrypoint_builds_a_runtime_container_around_bootstrap():
    offenders = {
        str(path.relative_to(ENTRYPOINTS)): [name for name in AROUND_IT if name in path.read_text()]
        for path in ENTRYPOINTS.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_bootstrap_gives_each_runtime_its_own_container(tmp_path: Path):
    assert isinstance(bootstrap("memory").generator(), ScriptedImageGenerator)
    local = bootstrap("local", load_settings(), data_dir=tmp_path, base_url="http://x:1/")
    assert (local.data_dir(), local.base_url()) == (tmp_path.resolve(), "http://x:1")


def test_a_runtime_built_from_settings_refuses_to_guess_them():
    with pytest.raises(ValueError, match="settings"):
        bootstrap("aws", None)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="data directory"):
        bootstrap("local", load_settings())  # type: ignore[call-overload]
