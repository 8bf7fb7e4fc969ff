"""Lambda's Python runtime in miniature, for a shipped install: `python -S -I lambda_invoke.py
OUT PATH...` puts only the PATHs (the layer or the image's packages, the runtime's boto3,
the code) before the standard library, reads a JSON list of calls from stdin,
`{"handler": "module.function", "event": {...} | null}`, imports each handler once (one
cold start, as a warm container serves the next events) and calls it with its event (null:
only imported), then writes `{"answers": [...], "modules": [top-level modules loaded]}` to
OUT. The environment is the caller's: the template's variables, as Lambda sets them.
Nothing of the test tools is on the path; it imports nothing from tests/ either.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass

out = sys.argv[1]
sys.path[:0] = sys.argv[2:]


@dataclass
class Context:
    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = "8f5c6a4e-0c5d-4c1b-9d0e-6a1f0e5b2c3d"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


calls = json.load(sys.stdin)
handlers = {}
answers = []
for call in calls:
    name = call["handler"]
    if name not in handlers:
        module, function = name.rsplit(".", 1)
        handlers[name] = getattr(importlib.import_module(module), function)
    if call.get("event") is not None:
        context = Context(function_name=name.rsplit(".", 2)[-2])
        answers.append(handlers[name](call["event"], context))
loaded = sorted({module.split(".")[0] for module in sys.modules})
with open(out, "w") as file:
    json.dump({"answers": answers, "modules": loaded}, file)
