"""The carried YuNet and SFace files: what models/SOURCE.md says of them holds, offline."""

from __future__ import annotations

import hashlib
import re
import socket
from importlib.resources import files

from profilephoto.adapters.likeness import sface, yunet
from profilephoto.domain.models import ImageData
from tests.photos import portrait_jpeg

MODELS = files("profilephoto.adapters.likeness").joinpath("models")


def _table(title: str) -> dict[str, tuple[int, str]]:
    """The rows of the SOURCE.md table headed `| title | bytes | sha256 |`."""
    note = MODELS.joinpath("SOURCE.md").read_text()
    section = note.split(f"| {title} | bytes | sha256 |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"\| `(\S+\.onnx)` \| (\d+) \| `([0-9a-f]{64})` \|", section)
    return {name: (int(size), digest) for name, size, digest in rows}


def test_each_model_file_has_the_size_and_sha256_its_source_note_records():
    carried = _table("file here")
    assert set(carried) == {yunet.FILE, sface.FILE}
    for name, (size, digest) in carried.items():
        data = MODELS.joinpath(name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, digest)


def test_the_note_records_the_published_files_they_were_made_from():
    assert set(_table("file as published")) == {yunet.FILE, sface.FILE}


def test_the_models_travel_with_their_licences():
    assert "MIT License" in MODELS.joinpath("LICENSE-YuNet").read_text()
    apache = MODELS.joinpath("LICENSE-SFace").read_text()
    assert "Apache License" in apache and "Version 2.0" in apache


def test_the_matcher_loads_and_runs_with_no_network(monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the likeness check must not touch the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from profilephoto.adapters.likeness.onnx import OnnxFaceMatcher

    face = OnnxFaceMatcher().embed(ImageData(data=portrait_jpeg(), content_type="image/jpeg"))
    assert face is not None and len(face.vector) == 128


def test_the_similarity_transform_maps_the_template_onto_itself_and_undoes_a_turn():
    import numpy as np

    same = sface.similarity_transform(sface.TEMPLATE, sface.TEMPLATE)
    assert np.allclose(same, [[1, 0, 0], [0, 1, 0]], atol=1e-9)
    turn = np.array([[0.0, -2.0], [2.0, 0.0]])  # a quarter turn, twice the size
    moved = sface.TEMPLATE @ turn.T + [5.0, 7.0]
    back = sface.similarity_transform(moved, sface.TEMPLATE)
    assert np.allclose(moved @ back[:, :2].T + back[:, 2], sface.TEMPLATE, atol=1e-6)
