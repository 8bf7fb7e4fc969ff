"""The seam between handlers and services is typed: mypy refuses a wrong call from a handler."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api as mypy

ROOT = Path(__file__).resolve().parents[2]
HANDLER = """
from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.models import Identity
from profilephoto.entrypoints.aws_lambda import runtime


def generate(who: Identity) -> str:
    return runtime.application().generation.request_generation({args}).job_id
"""


def mypy_errors(tmp_path: Path, args: str) -> str:
    probe = tmp_path / "probe_handler.py"
    probe.write_text(HANDLER.format(args=args))
    out, _, _ = mypy.run([str(probe), "--config-file", str(ROOT / "pyproject.toml")])
    return out


@pytest.mark.slow
def test_mypy_refuses_stray_arguments_to_a_service_call_from_a_handler(tmp_path):
    refused = mypy_errors(tmp_path, 'who, "key", "style"')
    assert "error: Too many" in refused and "request_generation" in refused
    assert "error: Argument 2" in mypy_errors(tmp_path, 'who, GenerationRequest("k", 2)')
    assert "Success" in mypy_errors(tmp_path, 'who, GenerationRequest("key", "style")')
