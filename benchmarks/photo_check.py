"""The photo check on the labelled set: false and missed rejections, time per image, cold start."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.adapters.photo_check.blazeface import FULL_RANGE, SHORT_RANGE
from profilephoto.domain.models import ImageData
from profilephoto.domain.photo_check import PhotoThresholds, judge
from tests.photo_set import KINDS, Case, labelled_set

ROOT = Path(__file__).resolve().parent.parent
COLD_START_BUDGET = 0.3  # seconds the check may add to the worker's cold start
# MediaPipe's own minimums (0.5 before 2026-12-03), ours, and stricter ones.
SWEEP = ((0.5, 0.5), (0.6, 0.5), (0.6, 0.55), (0.6, 0.6), (0.6, 0.7))
# What the worker has loaded anyway before it builds the inspector (Pillow, the image seam).
BEFORE = "import profilephoto.adapters.images, profilephoto.settings"
BUILD = """
import sys, time
{before}
from profilephoto.containers.generators import photo_inspector
from profilephoto.settings import load_settings
settings = load_settings(QUALITY_CHECK=sys.argv[1])
started = time.process_time()  # CPU, every thread: what a loaded box inflates least
photo_inspector(settings)
print(time.process_time() - started)
"""


def labelled() -> None:
    from profilephoto.adapters.photo_check.litert import LiteRtPhotoInspector

    started = time.perf_counter()
    inspector = LiteRtPhotoInspector()
    load = time.perf_counter() - started
    limits = PhotoThresholds()
    false_rejections, missed, other_reason, timings = [], [], [], []
    cases = _normalized()
    for case, photo in cases:
        started = time.perf_counter()
        measures = inspector.inspect(photo)
        timings.append(time.perf_counter() - started)
        got = judge(measures, limits)
        if case.expected is None and got is not None:
            false_rejections.append(f"{case.name} ({got})")
        elif case.expected is not None and got is None:
            missed.append(case.name)
        elif got != case.expected:
            other_reason.append(f"{case.name} ({got}, expected {case.expected})")
    good = sum(c.expected is None for c, _ in cases)
    print(f"labelled set: {len(cases)} photos, {good} good, {len(cases) - good} to reject")
    print(
        f"  false rejections  {len(false_rejections):>3} of {good}  {'; '.join(false_rejections)}"
    )
    print(f"  missed rejections {len(missed):>3} of {len(cases) - good}  {'; '.join(missed)}")
    print(f"  other reason      {len(other_reason):>3}  {'; '.join(other_reason)}")
    timings.sort()
    print(
        f"  inspect per image: median {statistics.median(timings) * 1000:.0f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)] * 1000:.0f} ms; models load {load:.2f} s"
    )


def _normalized() -> list[tuple[Case, ImageData]]:
    normalize = PillowImageProcessor()
    return [(case, normalize.normalize_upload(case.make())) for case in labelled_set()]


def sweep() -> None:
    """Per set, how many photos each pair of minimum scores gets right (good ones passed, the
    rest rejected): the figures docs/api.md §4.5 gives for the defaults."""
    from profilephoto.adapters.photo_check.litert import LiteRtPhotoInspector

    cases, limits = _normalized(), PhotoThresholds()
    print("minimum detector scores (full, short range) -> right per set")
    for full, short in SWEEP:
        inspector = LiteRtPhotoInspector(
            replace(FULL_RANGE, min_score=full), replace(SHORT_RANGE, min_score=short)
        )
        right: Counter[str] = Counter()
        for case, photo in cases:
            rejected = judge(inspector.inspect(photo), limits) is not None
            right[case.kind] += rejected == (case.expected is not None)
        total = Counter(case.kind for case, _ in cases)
        default = (full, short) == (FULL_RANGE.min_score, SHORT_RANGE.min_score)
        marker = " (default)" if default else ""
        figures = ", ".join(f"{kind} {right[kind]}/{total[kind]}" for kind in KINDS)
        print(f"  {full:.2f}, {short:.2f}: {figures}{marker}")


def _build_seconds(quality_check: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", BUILD.format(before=BEFORE), quality_check],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return float(done.stdout.strip().splitlines()[-1])


def cold_start(pairs: int = 5) -> None:
    # Fresh processes, as a Lambda cold start: numpy, LiteRT and both models, or nothing;
    # on and off side by side, in alternating order, the growth taken pair by pair.
    on, off = [], []
    for n in range(pairs):
        spent = {q: _build_seconds(q) for q in (("on", "off") if n % 2 == 0 else ("off", "on"))}
        on.append(spent["on"])
        off.append(spent["off"])
    grows = statistics.median(a - b for a, b in zip(on, off, strict=True))
    verdict = "ok" if grows <= COLD_START_BUDGET else "MISSED"
    print(
        f"worker cold start grows by {grows:.2f} s CPU with QUALITY_CHECK=on, median of "
        f"{pairs} pairs (build {statistics.median(on):.2f} s vs {statistics.median(off):.3f} s "
        f"off; target <= {COLD_START_BUDGET} s): {verdict}"
    )


def main() -> None:
    labelled()
    sweep()
    cold_start()


if __name__ == "__main__":
    main()
