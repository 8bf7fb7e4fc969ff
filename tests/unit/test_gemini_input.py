"""The input policy: which media resolution and pixel size each photo of a job gets."""

from __future__ import annotations

import pytest

from profilephoto.adapters.gemini_input import InputPolicy, MediaResolution


def test_the_levels_cost_the_tokens_googles_table_gives():
    assert [r.tokens for r in MediaResolution] == [280, 560, 1120]


def test_each_level_down_halves_the_tokens_and_so_roughly_the_pixels():
    for lower, higher in [
        (MediaResolution.LOW, MediaResolution.MEDIUM),
        (MediaResolution.MEDIUM, MediaResolution.HIGH),
    ]:
        assert higher.tokens == 2 * lower.tokens
        assert 1.7 < (higher.long_side / lower.long_side) ** 2 < 2.3


def test_by_default_the_main_photo_is_high_and_the_references_medium():
    policy = InputPolicy()
    assert [policy.resolution(i) for i in range(3)] == ["high", "medium", "medium"]
    assert [policy.long_side(i) for i in range(3)] == [1024, 768, 768]


@pytest.mark.parametrize(("photos", "tokens"), [(1, 1120), (2, 1680), (3, 2240)])
def test_a_job_spends_the_sum_of_its_photos_tokens(photos, tokens):
    assert InputPolicy().image_tokens(photos) == tokens


def test_a_deployment_can_spend_less_on_every_photo():
    policy = InputPolicy(main=MediaResolution.MEDIUM, references=MediaResolution.LOW)
    assert (policy.long_side(0), policy.long_side(2)) == (768, 512)
    assert policy.image_tokens(3) == 560 + 2 * 280
