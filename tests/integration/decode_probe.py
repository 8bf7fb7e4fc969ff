"""Run in a fresh process: decode images on threads under one budget, print outcomes and peak RSS.

Pillow allocates pixels with malloc, out of tracemalloc's sight, so the probe reads the
kernel's high-water mark (VmHWM) after resetting it once the inputs are built.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
from collections.abc import Callable
from pathlib import Path

MB = 1024 * 1024


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> int:
    """Reset the high-water mark to the current RSS (Linux clear_refs 5) and return it."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def peak() -> int:
    return _status("VmHWM")


def decode_all(
    inputs: dict[str, bytes], budget_mb: int, threads: int, address_space_mb: int | None = None
) -> dict[str, object]:
    """Normalize every input at once on `threads` threads; outcomes by name, memory in MB."""
    from profilephoto.adapters.decode_budget import DecodeBudget
    from profilephoto.adapters.images import PillowImageProcessor
    from profilephoto.domain.errors import ProfilePhotoError

    processor = PillowImageProcessor(budget=DecodeBudget(budget_mb * MB))
    outcomes: dict[str, str] = {}
    pending = list(inputs.items())
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                name, data = pending.pop()
            try:
                processor.normalize_upload(data)
                outcome = "accepted"
            except ProfilePhotoError as error:
                outcome = error.code
            except BaseException as error:  # the probe reports it; the test fails on it
                outcome = f"crashed:{type(error).__name__}"
            with lock:
                outcomes[name] = outcome

    baseline = reset_peak()
    if address_space_mb is not None:
        limit = _status("VmSize") + address_space_mb * MB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return {
        "outcomes": outcomes,
        "peakMb": (peak() - baseline) / MB,
        "budgetPeakMb": processor.budget.peak / MB,
    }


def main(build: Callable[[], dict[str, bytes]]) -> None:
    budget_mb, threads = int(sys.argv[1]), int(sys.argv[2])
    address_space = int(sys.argv[3]) if len(sys.argv) > 3 else None
    print(json.dumps(decode_all(build(), budget_mb, threads, address_space)))
