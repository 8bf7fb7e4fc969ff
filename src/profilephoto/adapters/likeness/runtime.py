"""One onnxruntime session per vendored model, read from package data (nothing downloaded)."""

from __future__ import annotations

from importlib.resources import files
from typing import Any


def session(file: str) -> Any:
    """An inference session for `models/<file>` on one CPU thread, quiet about the model's
    harmless graph warnings. `run` is safe to call from several threads at once."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # The worker runs the records of a batch on threads of its own: one thread per call
    # keeps a batch from oversubscribing the function's cores.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: the files carry unused initializers
    # The weights are int8 in blocks, which no CPU kernel runs as such: without this, every
    # call dequantizes all of them again (3x slower); with it they are folded into floats
    # once, when the session is built.
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    model = files("profilephoto.adapters.likeness").joinpath("models", file).read_bytes()
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
