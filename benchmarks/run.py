"""`make bench`: every benchmark of the project, one after the other, figures on stdout."""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = (
    "benchmarks.aws_calls",
    "benchmarks.cold_import",
    "benchmarks.images",
    "benchmarks.labels",
    "benchmarks.gemini_variants",
    "benchmarks.photo_check",
    "benchmarks.likeness",
    "benchmarks.layer_size",
    "benchmarks.worker_image",
    "benchmarks.load_model",
    "benchmarks.batch",
)


class TablesOnly(io.TextIOBase):
    """Passes the tables through and drops the handlers' JSON lines (EMF metrics), which
    Powertools prints whatever POWERTOOLS_METRICS_DISABLED says."""

    def __init__(self, out: TextIO) -> None:
        self._out, self._pending = out, ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if not line.startswith("{"):
                self._out.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self._out.flush()


def quiet() -> None:
    """Tables only: the handlers' logs, metrics and warnings would interleave with them."""
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    quiet()
    with contextlib.redirect_stdout(TablesOnly(sys.stdout)):
        for name in BENCHMARKS:
            print(f"\n== {name} ==")
            importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
