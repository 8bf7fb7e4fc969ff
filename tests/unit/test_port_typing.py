"""The port typing check (tests/typing, run by mypy in `make lint`) catches an adapter that
drifts from its port: shown here on a unit of work whose `apply` was renamed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

DRIFTED = textwrap.dedent(
    """
    from profilephoto.adapters.local.sqlite_store import SqliteUnitOfWork
    from profilephoto.domain.job_lifecycle import JobChange
    from profilephoto.domain.models import Job
    from profilephoto.domain.ports import UnitOfWork


    class Renamed(SqliteUnitOfWork):
        apply = None  # type: ignore[assignment]

        def apply_change(self, change: JobChange) -> Job:
            raise NotImplementedError


    def port(uow: Renamed) -> UnitOfWork:
        return uow
    """
)


ROOT = Path(__file__).resolve().parents[2]


def check(path: Path) -> tuple[str, int]:
    # The project's settings (tests.typing is strict) and its incremental cache, which
    # `make lint` has just filled: only the file itself is checked anew.
    out, _, status = mypy_api.run([str(path), "--config-file", str(ROOT / "pyproject.toml")])
    return out, status


def test_an_adapter_whose_method_was_renamed_no_longer_passes_as_its_port(tmp_path):
    drifted = tmp_path / "drifted.py"
    drifted.write_text(DRIFTED)
    out, status = check(drifted)
    assert status == 1
    assert 'Incompatible return value type (got "Renamed", expected "UnitOfWork")' in out


def test_every_runtime_adapter_passes_as_its_port():
    out, status = check(Path(__file__).parents[1] / "typing" / "port_conformance.py")
    assert status == 0, out
