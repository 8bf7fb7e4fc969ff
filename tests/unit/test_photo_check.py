"""The photo check's rules: each reason from the measures that cause it, and nothing else."""

from __future__ import annotations

import pytest

from profilephoto.adapters.memory.photos import portrait_measures
from profilephoto.domain.photo_check import (
    ADVICE,
    NOT_CHARGED,
    PhotoThresholds,
    RejectionReason,
    judge,
    rejection,
)
from profilephoto.domain.photo_measures import FaceBox, FaceLight

LIMITS = PhotoThresholds()
MAIN = FaceBox(left=234, top=180, width=300, height=300, score=0.95)


def light(**changes: float) -> FaceLight:
    values = {"p95_luma": 200.0, "bright_share": 0.0, "sharpness": 0.3} | changes
    return FaceLight(**values)


def test_a_good_portrait_passes():
    assert judge(portrait_measures(), LIMITS) is None


@pytest.mark.parametrize(
    ("mean_luma", "reason"),
    [(120.0, "no_face"), (20.0, "too_dark"), (240.0, "too_bright")],
)
def test_no_face_is_called_dark_or_bright_when_the_whole_image_is(mean_luma, reason):
    measures = portrait_measures(faces=(), main_face=None, mean_luma=mean_luma)
    assert judge(measures, LIMITS) == reason


@pytest.mark.parametrize(("burnt_share", "reason"), [(0.49, "no_face"), (0.5, "too_bright")])
def test_no_face_in_a_mostly_burnt_out_photo_is_too_bright(burnt_share, reason):
    # Flash or sun can wash a face out of the detector's sight while the mean stays < 225.
    measures = portrait_measures(faces=(), main_face=None, mean_luma=220.0, burnt_share=burnt_share)
    assert judge(measures, LIMITS) == reason


def test_a_second_face_nearly_as_large_that_does_not_overlap_means_several_faces():
    other = FaceBox(left=560, top=200, width=200, height=200, score=0.9)  # 0.67x the side
    assert judge(portrait_measures(faces=(MAIN, other)), LIMITS) == "multiple_faces"


def test_a_small_face_in_the_background_is_not_a_second_person_in_the_photo():
    passer_by = FaceBox(left=600, top=40, width=60, height=60, score=0.9)  # 0.2x the side
    assert judge(portrait_measures(faces=(MAIN, passer_by)), LIMITS) is None


def test_a_second_box_over_the_same_face_is_not_a_second_face():
    twin = FaceBox(left=250, top=190, width=280, height=280, score=0.7)
    assert judge(portrait_measures(faces=(MAIN, twin)), LIMITS) is None


def test_a_face_smaller_than_the_minimum_side_is_too_small():
    tiny = FaceBox(left=10, top=10, width=50, height=60, score=0.9)  # side 54.8 px
    assert judge(portrait_measures(faces=(tiny,)), LIMITS) == "face_too_small"


@pytest.mark.parametrize(
    ("face", "reason"),
    [
        (light(p95_luma=40.0), "too_dark"),
        (light(bright_share=0.6), "too_bright"),
        (light(sharpness=0.01), "too_blurry"),
    ],
)
def test_the_main_faces_light_and_sharpness_decide_the_rest(face, reason):
    assert judge(portrait_measures(main_face=face), LIMITS) == reason


def test_a_dark_skinned_face_in_good_light_is_not_too_dark():
    # The rule reads the 95th percentile: highlights on darker skin stay well above it.
    assert judge(portrait_measures(main_face=light(p95_luma=90.0)), LIMITS) is None


def test_every_threshold_is_honoured_as_configured():
    blurry = portrait_measures(main_face=light(sharpness=0.03))
    assert judge(blurry, LIMITS) == "too_blurry"
    assert judge(blurry, PhotoThresholds(min_sharpness=0.02)) is None


def test_the_side_of_a_box_is_the_square_root_of_its_area():
    assert FaceBox(left=0, top=0, width=100, height=64, score=1).side == pytest.approx(80)


@pytest.mark.parametrize("reason", list(RejectionReason))
def test_every_reason_has_advice_that_says_the_try_was_not_charged(reason):
    error = rejection(reason, photo_index=1)
    assert error.code == "photo_rejected"
    assert error.details == {"reason": reason.value, "photoIndex": 1}
    assert error.message == f"{ADVICE[reason]} {NOT_CHARGED}"
