"""The likeness check on the validation set: score distributions, the bar's error rates,
scoring time per image, and the worker's cold start with both face checks on."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from profilephoto.domain.likeness import LikenessPolicy
from tests.likeness_set import PACKAGED, Pair, Variant, rates, score_pairs, sdist_people

ROOT = Path(__file__).resolve().parent.parent
SCORING_TARGET_MS = 60
BARS = (0.25, 0.30, 0.363, 0.40, 0.45, 0.50)
BEFORE = "import profilephoto.adapters.images, profilephoto.settings"
BUILD = """
import sys, time
{before}
from profilephoto.containers.generators import face_matcher, photo_inspector
from profilephoto.settings import load_settings
settings = load_settings(QUALITY_CHECK=sys.argv[1], LIKENESS_CHECK=sys.argv[2])
started = time.process_time()  # CPU, every thread: what a loaded box inflates least
photo_inspector(settings)
face_matcher(settings)
print(time.process_time() - started)
"""


class Timed:
    """The matcher, timing each embedding of a result (not of the user's photos)."""

    def __init__(self) -> None:
        from profilephoto.adapters.likeness.onnx import OnnxFaceMatcher

        started = time.perf_counter()
        self._matcher = OnnxFaceMatcher()
        self.load = time.perf_counter() - started
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def embed(self, image):  # type: ignore[no-untyped-def]
        wall, cpu = time.perf_counter(), time.thread_time()
        face = self._matcher.embed(image)
        if image.content_type == "image/png":  # the set's results are PNG, as stored
            self.wall.append(time.perf_counter() - wall)
            self.cpu.append(time.thread_time() - cpu)
        return face


def _spread(scores: list[float]) -> str:
    ordered = sorted(scores)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (
        f"min {ordered[0]:.3f}  p10 {p(0.1):.3f}  median {statistics.median(ordered):.3f}  "
        f"p90 {p(0.9):.3f}  max {ordered[-1]:.3f}"
    )


def _name(v: Variant) -> str:
    return f"{v.person}#{v.photo} {v.kind}"


def validation() -> None:
    started = time.perf_counter()
    extra = sdist_people()
    people = PACKAGED + extra
    timed = Timed()
    pairs: list[Pair] = score_pairs(timed, people)  # type: ignore[arg-type]
    print(
        f"validation set: {len(people)} people, {sum(len(p.photos) for p in people)} photos, "
        f"{len(pairs)} pairs ({time.perf_counter() - started:.0f} s); "
        + ("with" if extra else "WITHOUT (PyPI out of reach)")
        + " the face_recognition sdist's photos"
    )
    same = [p for p in pairs if p.same]
    other = [p for p in pairs if not p.same]
    for label, group in (("same person     ", same), ("different person", other)):
        scores = [p.score for p in group if p.score is not None]
        faceless = sum(p.score is None for p in group)
        print(f"  {label} {len(group):>4} pairs: {_spread(scores)}  no face {faceless}")
    bar = LikenessPolicy().min_score
    print(f"  LIKENESS_MIN default {bar}")
    for candidate in BARS:
        refunds, passes = rates(pairs, candidate)
        mark = "  <- default" if candidate == bar else ""
        print(
            f"    bar {candidate:.3f}: false refunds {refunds:6.1%}  "
            f"false passes {passes:6.1%}{mark}"
        )
    worst = min(same, key=lambda p: -2 if p.score is None else p.score)
    best_other = max(other, key=lambda p: -2 if p.score is None else p.score)
    print(f"  lowest same-person:    {worst.score:.3f} ({_name(worst.variant)})")
    print(
        f"  highest other-person:  {best_other.score:.3f} "
        f"({_name(best_other.variant)} against {best_other.reference})"
    )
    wall = sorted(timed.wall)
    print(
        f"  scoring per result image (1024 px PNG): median "
        f"{statistics.median(wall) * 1000:.0f} ms wall, "
        f"{statistics.median(timed.cpu) * 1000:.0f} ms CPU; p95 "
        f"{wall[int(len(wall) * 0.95)] * 1000:.0f} ms wall (target <= {SCORING_TARGET_MS} ms): "
        + ("ok" if statistics.median(wall) * 1000 <= SCORING_TARGET_MS else "MISSED")
        + f"; models load {timed.load:.2f} s"
    )


def _build_seconds(quality: str, likeness: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", BUILD.format(before=BEFORE), quality, likeness],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return float(done.stdout.strip().splitlines()[-1])


def cold_start(rounds: int = 3) -> None:
    # Fresh processes, as a Lambda cold start: the face models and their runtimes, or none;
    # the four builds side by side in each round, their order turning round by round, and
    # each one's growth over the bare build taken within its round.
    configurations = [("off", "off"), ("on", "off"), ("off", "on"), ("on", "on")]
    growth: dict[tuple[str, str], list[float]] = {c: [] for c in configurations}
    for n in range(rounds):
        turn = configurations[n % 4 :] + configurations[: n % 4]
        spent = {c: _build_seconds(*c) for c in turn}
        for c in configurations:
            growth[c].append(spent[c] - spent[("off", "off")])
    grows = {c: statistics.median(values) for c, values in growth.items()}
    print(
        f"worker cold start, building the face checks (CPU, median of {rounds} rounds of "
        f"fresh processes): photo check {grows[('on', 'off')]:.2f} s, likeness "
        f"{grows[('off', 'on')]:.2f} s, both {grows[('on', 'on')]:.2f} s"
    )


def main() -> None:
    validation()
    cold_start()


if __name__ == "__main__":
    main()
