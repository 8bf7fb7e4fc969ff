"""`make bench`: every benchmark of the project, one after the other, figures on stdout."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = (
    "benchmarks.aws_calls",
    "benchmarks.cold_import",
    "benchmarks.images",
    "benchmarks.gemini_variants",
    "benchmarks.photo_check",
    "benchmarks.layer_size",
    "benchmarks.load_model",
)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    for name in BENCHMARKS:
        print(f"\n== {name} ==")
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
