"""A resolver's first requests may arrive from many threads at once (a host serving the API,
the local server). Powertools' resolver, used before rest.Router, built each route's
middleware stack on its first call, and two threads building it together left a broken chain
behind that answered 500 for good; each thread must also see only its own request."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from profilephoto.entrypoints.aws_lambda.http import json_response, new_resolver
from tests.e2e.lambda_events import CONTEXT, rest

THREADS = 8
RESOLVERS = 25


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave inside the stack building
    yield
    sys.setswitchinterval(before)


def test_many_first_requests_at_once_all_get_their_answer(tiny_switch_interval: None) -> None:
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    for _ in range(RESOLVERS):
        app = new_resolver()

        @app.get("/usage")
        def usage() -> object:
            return json_response(200, {"ok": True})

        start = threading.Barrier(THREADS)

        def call(app: object = app, start: threading.Barrier = start) -> None:
            start.wait()
            answers = [
                app.resolve(rest("usage"), CONTEXT)["statusCode"]  # type: ignore[attr-defined]
                for _ in range(3)
            ]
            with lock:
                statuses.update(answers)

        threads = [threading.Thread(target=call) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert statuses == Counter({200: RESOLVERS * THREADS * 3})
