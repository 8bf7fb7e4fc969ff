"""`profilephoto doctor`: the checks of entrypoints/doctor.py, printed with their fixes."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any, data_dir_help: str, default_data_dir: Path) -> None:
    doctor = subparsers.add_parser(
        "doctor", help="check the configuration (and, with a key, MODEL_NAME); exit 0 when well"
    )
    doctor.add_argument("--data-dir", type=Path, default=default_data_dir, help=data_dir_help)


def run(args: argparse.Namespace) -> int:
    return doctor(args.data_dir)


def doctor(data_dir: Path) -> int:
    """Print each configuration problem with its fix; exit 0 only when all is well."""
    from profilephoto.entrypoints.doctor import diagnose, report

    with _library_logs_unprinted():
        findings = diagnose(data_dir)
    text, status = report(findings)
    print(text)
    return status


@contextmanager
def _library_logs_unprinted() -> Iterator[None]:
    """The findings say what the adapters log (a refused key, Gemini out of reach); with no
    handler configured, Python's last resort would print those records as bare lines."""
    quiet = logging.NullHandler()
    logger = logging.getLogger("profilephoto")
    logger.addHandler(quiet)
    try:
        yield
    finally:
        logger.removeHandler(quiet)
