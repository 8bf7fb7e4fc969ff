"""The likeness check on real photos: the offline stylizer's results look like the person
they were made from, and nobody else's photo or result does (tests/likeness_set.py)."""

from __future__ import annotations

import pytest

from profilephoto.domain.likeness import LikenessPolicy
from profilephoto.domain.ports import FaceMatcher
from profilephoto.domain.styles import StyleCatalog
from tests.likeness_set import PACKAGED, Pair, score_pairs

BAR = LikenessPolicy().min_score


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    from profilephoto.adapters.likeness.onnx import OnnxFaceMatcher

    matcher: FaceMatcher = OnnxFaceMatcher()
    return score_pairs(matcher, PACKAGED)


def test_every_offline_stylizer_result_passes_for_the_persons_own_photos(pairs):
    own = [p for p in pairs if p.same and p.variant.kind.startswith("offline ")]
    styles = len(StyleCatalog().all())
    assert len(own) == styles * sum(len(person.photos) for person in PACKAGED)
    assert [p for p in own if not p.passes(BAR)] == []


def test_every_edit_of_a_persons_photo_passes_for_them(pairs):
    assert [p for p in pairs if p.same and not p.passes(BAR)] == []


def test_no_result_passes_for_someone_else(pairs):
    others = [p for p in pairs if not p.same]
    assert len(others) >= 100
    assert [p for p in others if p.passes(BAR)] == []
