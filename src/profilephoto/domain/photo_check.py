"""The photo check before the model: what an inspector measures and the rules that judge it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from profilephoto.domain.errors import PhotoRejected
from profilephoto.domain.models import ImageData
from profilephoto.domain.photo_measures import PhotoMeasures
from profilephoto.domain.ports import PhotoInspector


class RejectionReason(StrEnum):
    """Why a photo cannot make a good profile photo (`error.reason` in docs/api.md)."""

    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    FACE_TOO_SMALL = "face_too_small"
    TOO_BLURRY = "too_blurry"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"


# What a person can do about each reason; every message ends saying nothing was charged.
ADVICE: dict[RejectionReason, str] = {
    RejectionReason.NO_FACE: "We couldn't find a face in this photo. Use a photo where your "
    "face is clearly visible, looking towards the camera.",
    RejectionReason.MULTIPLE_FACES: "This photo shows more than one face. Use a photo of just "
    "you, or crop the others out.",
    RejectionReason.FACE_TOO_SMALL: "Your face is too small in this photo. Use a closer photo "
    "where your face fills more of the frame.",
    RejectionReason.TOO_BLURRY: "This photo is too blurry. Use a sharp photo: hold the camera "
    "still and make sure your face is in focus.",
    RejectionReason.TOO_DARK: "This photo is too dark. Use a photo taken in good light, "
    "facing a window or a lamp.",
    RejectionReason.TOO_BRIGHT: "This photo is too bright: your face is washed out. Use a "
    "photo out of direct sunlight or without flash.",
}
NOT_CHARGED = "You were not charged for this try."


@dataclass(frozen=True)
class PhotoThresholds:
    """The limits of the rules; defaults fitted on a small labelled set (docs/api.md)."""

    dark_image_luma: float = 35.0
    bright_image_luma: float = 225.0
    second_face_ratio: float = 0.6
    same_face_overlap: float = 0.3
    min_face_side: float = 64.0
    dark_face_p95: float = 55.0
    bright_face_share: float = 0.5
    min_sharpness: float = 0.04


def judge(measures: PhotoMeasures, limits: PhotoThresholds) -> RejectionReason | None:
    """The reason to turn the photo away, or None; only what the rules are sure of."""
    if not measures.faces:
        if measures.mean_luma < limits.dark_image_luma:
            return RejectionReason.TOO_DARK
        # A face burnt out of the picture is not found: say the light is the problem.
        if (
            measures.mean_luma > limits.bright_image_luma
            or measures.burnt_share >= limits.bright_face_share
        ):
            return RejectionReason.TOO_BRIGHT
        return RejectionReason.NO_FACE
    main, *others = measures.faces
    if any(
        face.side >= limits.second_face_ratio * main.side
        and main.overlap(face) < limits.same_face_overlap
        for face in others
    ):
        return RejectionReason.MULTIPLE_FACES
    if main.side < limits.min_face_side:
        return RejectionReason.FACE_TOO_SMALL
    light = measures.main_face
    if light is None:
        return None
    if light.p95_luma < limits.dark_face_p95:
        return RejectionReason.TOO_DARK
    if light.bright_share >= limits.bright_face_share:
        return RejectionReason.TOO_BRIGHT
    if light.sharpness < limits.min_sharpness:
        return RejectionReason.TOO_BLURRY
    return None


def rejection(reason: RejectionReason, photo_index: int) -> PhotoRejected:
    """The job's error for a turned-away photo: the reason, which photo, and what to do."""
    return PhotoRejected(
        f"{ADVICE[reason]} {NOT_CHARGED}", reason=reason.value, photoIndex=photo_index
    )


def check_photos(
    inspector: PhotoInspector,
    photos: Sequence[ImageData],
    limits: PhotoThresholds | None,
) -> None:
    """Raise PhotoRejected for the first photo the rules turn away; None skips the check."""
    if limits is None:
        return
    for index, photo in enumerate(photos):
        reason = judge(inspector.inspect(photo), limits)
        if reason is not None:
            raise rejection(reason, index)
