"""The carried BlazeFace models: what models/SOURCE.md says of them holds, and they run offline."""

from __future__ import annotations

import hashlib
import re
import socket
from importlib.resources import files

import pytest

from profilephoto.adapters.photo_check.blazeface import FULL_RANGE, SHORT_RANGE, anchors
from profilephoto.domain.models import ImageData
from tests.photos import portrait_jpeg

MODELS = files("profilephoto.adapters.photo_check").joinpath("models")


def test_each_model_file_has_the_size_and_sha256_its_source_note_records():
    note = MODELS.joinpath("SOURCE.md").read_text()
    rows = re.findall(r"\| `(\S+\.tflite)` \| `[^`]+` \| (\d+) \| `([0-9a-f]{64})` \|", note)
    assert {name for name, _, _ in rows} == {FULL_RANGE.file, SHORT_RANGE.file}
    for name, size, digest in rows:
        data = MODELS.joinpath(name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (int(size), digest)


def test_the_models_travel_with_their_apache_licence():
    assert "Apache License" in MODELS.joinpath("LICENSE").read_text()
    assert "Version 2.0" in MODELS.joinpath("LICENSE").read_text()


@pytest.mark.parametrize("spec", [FULL_RANGE, SHORT_RANGE], ids=["full", "short"])
def test_the_input_and_outputs_are_the_shapes_the_anchors_assume(spec):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=MODELS.joinpath(spec.file).read_bytes())
    [tensor] = interpreter.get_input_details()
    assert list(tensor["shape"]) == [1, spec.side, spec.side, 3]
    rows = len(anchors(spec))
    shapes = sorted(list(o["shape"]) for o in interpreter.get_output_details())
    assert shapes == [[1, rows, 1], [1, rows, 16]]
    assert rows == {192: 2304, 128: 896}[spec.side]


def test_the_inspector_loads_and_runs_with_no_network(monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the photo check must not touch the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from profilephoto.adapters.photo_check.litert import LiteRtPhotoInspector

    measures = LiteRtPhotoInspector().inspect(
        ImageData(data=portrait_jpeg(), content_type="image/jpeg")
    )
    assert len(measures.faces) == 1
