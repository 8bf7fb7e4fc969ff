"""The photo check on real photos: good portraits pass, clear failures get their reason."""

from __future__ import annotations

import pytest

from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.domain.photo_check import PhotoThresholds, judge
from profilephoto.domain.ports import PhotoInspector
from tests.photo_set import KINDS, Case, labelled_set

CASES = labelled_set()
GOOD = [c for c in CASES if c.expected is None]
CLEAR = [c for c in CASES if c.expected is not None and c.clear]


@pytest.fixture(scope="module")
def inspector() -> PhotoInspector:
    from profilephoto.adapters.photo_check.litert import LiteRtPhotoInspector

    return LiteRtPhotoInspector()


def verdict(inspector: PhotoInspector, case: Case) -> str | None:
    # As the worker does: normalise the upload, inspect it, apply the default rules.
    normalized = PillowImageProcessor().normalize_upload(case.make())
    return judge(inspector.inspect(normalized), PhotoThresholds())


@pytest.mark.parametrize("case", GOOD, ids=[c.name for c in GOOD])
def test_a_good_portrait_passes_the_check(inspector, case):
    assert verdict(inspector, case) is None


@pytest.mark.parametrize("case", CLEAR, ids=[c.name for c in CLEAR])
def test_a_clear_failure_is_rejected_with_its_reason(inspector, case):
    assert verdict(inspector, case) == case.expected


def test_the_set_holds_every_kind_of_case_the_check_must_tell_apart():
    assert len(GOOD) >= 30
    assert {c.expected for c in CLEAR} == {
        "no_face",
        "multiple_faces",
        "too_dark",
        "too_bright",
        "too_blurry",
    }
    assert {c.kind for c in CASES} == set(KINDS)
    assert sum(c.kind == "animal" and c.clear for c in CASES) >= 8
