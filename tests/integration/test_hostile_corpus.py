"""The hostile image corpus: each entry gets its chosen outcome, in one worker, within budget."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from profilephoto.adapters.decode_budget import MB, DecodeBudget
from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.domain.errors import ProfilePhotoError
from tests.integration.hostile_corpus import ACCEPTED, CORPUS, PAYLOAD

ROOT = Path(__file__).resolve().parents[2]
# Under the 614 MB of a 1,024 MB worker, small enough that the 49 MP bomb (400 MB estimated)
# and the progressive JPEG (200 MB) cannot be decoded at the same time.
BUDGET_MB = 450
LIGHT = {name: case for name, case in CORPUS.items() if case.why not in ("budget", "shape")}


@pytest.fixture(scope="module")
def processor() -> PillowImageProcessor:
    return PillowImageProcessor(budget=DecodeBudget(BUDGET_MB * MB))


@pytest.mark.parametrize("name", list(LIGHT))
def test_each_light_entry_gets_its_chosen_outcome_and_nothing_of_it_survives(processor, name):
    case = CORPUS[name]
    try:
        out = processor.normalize_upload(case.build())
    except ProfilePhotoError as error:
        assert error.code == case.outcome, error.message
        return
    assert case.outcome == ACCEPTED
    assert PAYLOAD not in out.data
    with Image.open(io.BytesIO(out.data)) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        assert max(image.size) <= processor.max_side
        assert len(image.getexif()) == 0 and "icc_profile" not in image.info


def test_the_whole_corpus_at_once_in_one_worker_gets_its_outcomes_inside_the_budget():
    code = (
        "from tests.integration import decode_probe, hostile_corpus as h\n"
        "decode_probe.main(lambda: {n: c.build() for n, c in h.CORPUS.items()})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(BUDGET_MB), "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]  # the worker survived
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["outcomes"] == {name: case.outcome for name, case in CORPUS.items()}
    assert report["budgetPeakMb"] <= BUDGET_MB
    assert report["peakMb"] <= BUDGET_MB, report
