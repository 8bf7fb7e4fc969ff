"""A likeness validation set, made at test time from real photos that packages ship.

People and their photos: Eileen Collins (the repository's demo portrait and scikit-image's
astronaut, one NASA photograph), Grace Hopper (matplotlib's sample, a U.S. Navy photograph)
and the cameraman of scikit-image's `camera` (CC0), all free to use; `make bench` adds the
face_recognition sdist's photos of two people when PyPI can be reached (see
`sdist_people`). Each photo is varied the ways a model's output differs from a selfie:
grade, posterize, blur, crop, a small tilt, and every look of the offline stylizer.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps

from profilephoto.domain.face_embedding import FaceEmbedding, centroid
from profilephoto.domain.models import ImageData
from profilephoto.domain.ports import FaceMatcher
from profilephoto.domain.styles import StyleCatalog
from tests.photos import jpeg, photo


@dataclass(frozen=True)
class Person:
    name: str
    photos: tuple[Callable[[], Image.Image], ...]  # the user's own photos (references)


@dataclass(frozen=True)
class Variant:
    """A stand-in for a model's result: what was done to which photo of whom."""

    person: str
    photo: int
    kind: str
    make: Callable[[], ImageData]


def _demo_portrait() -> Image.Image:
    data = files("profilephoto.entrypoints.samples").joinpath("eileen_collins.jpg").read_bytes()
    with Image.open(io.BytesIO(data)) as opened:
        return opened.convert("RGB")


PACKAGED = (
    Person("collins", (_demo_portrait, lambda: photo("astronaut"))),
    Person("hopper", (lambda: photo("grace_hopper"),)),
    Person("cameraman", (lambda: photo("camera"),)),
)


def png(image: Image.Image) -> ImageData:
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG")
    return ImageData(data=out.getvalue(), content_type="image/png")


def as_upload(image: Image.Image) -> ImageData:
    return ImageData(data=jpeg(image), content_type="image/jpeg")


def _crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * left), round(h * top), round(w * right), round(h * bottom)))


def _posterized(image: Image.Image) -> Image.Image:
    return ImageOps.posterize(image, 3)


def _tilted(image: Image.Image, degrees: int) -> Image.Image:
    return image.rotate(degrees, Image.Resampling.BICUBIC, fillcolor=(128, 128, 128))


EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "grayscale": lambda i: ImageOps.grayscale(i).convert("RGB"),
    "posterize": _posterized,
    "blur": lambda i: i.filter(ImageFilter.GaussianBlur(2)),
    "close crop": lambda i: _crop(i, 0.15, 0.0, 0.85, 0.7),
    "wide crop": lambda i: _crop(i, 0.05, 0.0, 0.95, 0.9),
    "tilt -10": lambda i: _tilted(i, -10),
    "tilt +10": lambda i: _tilted(i, 10),
}


@cache
def _stylizer() -> object:
    from profilephoto.adapters.local.offline_stylizer import OfflineStylizer

    return OfflineStylizer()


def stylized(image: Image.Image, style_id: str) -> ImageData:
    """The offline stylizer's result for the photo, as the worker stores it."""
    from profilephoto.adapters.local.offline_stylizer import OfflineStylizer

    stylizer = _stylizer()
    assert isinstance(stylizer, OfflineStylizer)
    made = stylizer.generate([as_upload(image)], StyleCatalog().get(style_id))
    return ImageData(data=made.data, content_type=made.content_type)


def variants(person: Person) -> Iterator[Variant]:
    style_ids = [style.id for style in StyleCatalog().all()]
    for n, source in enumerate(person.photos):
        for kind, edit in EDITS.items():
            yield Variant(person.name, n, kind, lambda s=source, e=edit: png(e(s())))
        for style_id in style_ids:
            yield Variant(
                person.name, n, f"offline {style_id}", lambda s=source, i=style_id: stylized(s(), i)
            )


# --- the face_recognition sdist's photos: `make bench` only, fetched from PyPI ------------

SDIST = "face_recognition==1.3.0"
PIP_OPTIONS = ("--quiet", "--disable-pip-version-check", "--no-deps", "--no-binary", ":all:")
# Each photo framed as a selfie would be (left, top, right, bottom, as shares of it): they
# are half- and full-length shots, whose face a head-and-shoulders result would cut off.
SDIST_PHOTOS = {
    "obama": {
        "obama.jpg": (0.14, 0.0, 0.94, 0.82),
        "obama2.jpg": (0.0, 0.0, 1.0, 1.0),
        "obama3.jpg": (0.24, 0.02, 0.84, 0.51),
    },
    "biden": {"biden.jpg": (0.13, 0.0, 1.0, 0.54)},
}


def sdist_people(cache_dir: Path | None = None) -> tuple[Person, ...]:
    """Barack Obama (three photos) and Joe Biden (one), official White House photographs
    the face_recognition 1.3.0 sdist ships as test images, or () when pip cannot fetch it.
    Works of the U.S. government, so not under copyright; their embedded notice asks that
    they not be published altered or used in promotion: they are only measured here, in
    memory, never stored, shown or shipped (docs/api.md, "Likeness")."""
    folder = cache_dir or Path(tempfile.gettempdir()) / "profilephoto-likeness-sdist"
    archives = sorted(folder.glob("face_recognition-*.tar.gz"))
    if not archives:
        fetched = subprocess.run(
            [sys.executable, "-m", "pip", "download", *PIP_OPTIONS, SDIST, "-d", str(folder)],
            capture_output=True,
            timeout=300,
        )
        archives = sorted(folder.glob("face_recognition-*.tar.gz"))
        if fetched.returncode or not archives:
            return ()
    with tarfile.open(archives[-1]) as archive:
        members = {Path(m.name).name: m for m in archive.getmembers() if "test_images" in m.name}
        loaded = {
            name: _crop(_read_member(archive, members[name]), *box)
            for boxes in SDIST_PHOTOS.values()
            for name, box in boxes.items()
        }
    return tuple(
        Person(person, tuple((lambda i=loaded[n]: i.copy()) for n in boxes))
        for person, boxes in SDIST_PHOTOS.items()
    )


def _read_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> Image.Image:
    stream = archive.extractfile(member)
    assert stream is not None
    with Image.open(io.BytesIO(stream.read())) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    image.thumbnail((1600, 1600))
    return image


# --- scoring the set -----------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """A result's likeness to a person's photos: None when no face was found in the result."""

    same: bool
    variant: Variant
    reference: str
    score: float | None

    def passes(self, bar: float) -> bool:
        return self.score is not None and self.score >= bar


def score_pairs(matcher: FaceMatcher, people: tuple[Person, ...]) -> list[Pair]:
    """Every variant of every photo against every person's reference, the centroid of their
    photos as the worker makes it. For a person with several photos, a variant of one is
    compared with the centroid of the others: a result is a new picture of them, not an
    edit of the photo it is compared with."""
    faces: dict[str, list[FaceEmbedding]] = {}
    for person in people:
        found = [matcher.embed(as_upload(make())) for make in person.photos]
        assert all(found), f"a photo of {person.name} shows no face"
        faces[person.name] = [face for face in found if face is not None]
    pairs = []
    for person in people:
        for variant in variants(person):
            face = matcher.embed(variant.make())
            for name, theirs in faces.items():
                own = name == person.name
                others = [f for n, f in enumerate(theirs) if not (own and n == variant.photo)]
                reference = centroid(others or theirs)
                score = None if face is None else face.similarity(reference)
                pairs.append(Pair(name == person.name, variant, name, score))
    return pairs


def rates(pairs: list[Pair], bar: float) -> tuple[float, float]:
    """(false refunds: same person below the bar, false passes: someone else above it)."""
    same = [p for p in pairs if p.same]
    other = [p for p in pairs if not p.same]
    return (
        sum(not p.passes(bar) for p in same) / len(same),
        sum(p.passes(bar) for p in other) / len(other),
    )
