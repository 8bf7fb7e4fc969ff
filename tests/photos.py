"""Real photos that ship inside installed packages (scikit-image, matplotlib), as test inputs.

Read as files from the installed distributions, without importing either library: each
states its photos are free to use (skimage.data's docstrings; grace_hopper.jpg is a U.S.
Navy photograph, public domain).
"""

from __future__ import annotations

import importlib.util
import io
from functools import cache
from pathlib import Path

from PIL import Image

# name -> (package, path inside it)
PHOTOS = {
    "astronaut": ("skimage", "data/astronaut.png"),  # Eileen Collins, NASA, public domain
    "camera": ("skimage", "data/camera.png"),  # a man with a camera, CC0
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    "chelsea": ("skimage", "data/chelsea.png"),  # a cat, CC0
    "coffee": ("skimage", "data/coffee.png"),  # a cup, CC0
    "rocket": ("skimage", "data/rocket.jpg"),  # a launch, public domain
    "motorcycle": ("skimage", "data/motorcycle_left.png"),
    "hubble": ("skimage", "data/hubble_deep_field.jpg"),  # NASA, public domain
    "coins": ("skimage", "data/coins.png"),
}
PORTRAITS = ("astronaut", "camera", "grace_hopper")
CLOSE_PORTRAITS = ("astronaut", "grace_hopper")  # head and shoulders; camera is half-body
ANIMALS = ("chelsea",)
NO_FACES = ("coffee", "rocket", "motorcycle", "hubble", "coins")  # objects and places


def photo_path(name: str) -> Path:
    package, inside = PHOTOS[name]
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin, f"{package} is a dev dependency: pip install -e .[dev]"
    return Path(spec.origin).parent / inside


@cache
def _loaded(name: str) -> Image.Image:
    with Image.open(photo_path(name)) as opened:
        return opened.convert("RGB")


def photo(name: str) -> Image.Image:
    """A fresh RGB copy of a packaged photo."""
    return _loaded(name).copy()


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def portrait_jpeg(name: str = "astronaut") -> bytes:
    """A real, good selfie-like portrait as JPEG bytes (what a user would upload)."""
    return jpeg(photo(name))


def faceless_jpeg(name: str = "coffee") -> bytes:
    """A real photo with no face in it."""
    return jpeg(photo(name))
