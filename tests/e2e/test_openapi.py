"""docs/openapi.json is the document the code generates, and the local server serves it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from profilephoto.entrypoints.aws_lambda import openapi
from tests.e2e.in_process_server import InProcessServer

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
pytestmark = pytest.mark.usefixtures("memory_runtime")


def test_the_committed_document_is_the_one_the_code_generates():
    # After changing a route or a model: make openapi (rewrites docs/openapi.json).
    assert json.loads(COMMITTED.read_text()) == openapi.rest_document()
    assert COMMITTED.read_text() == openapi.render()


def test_every_route_of_the_rest_handlers_is_in_the_document():
    paths = openapi.rest_document()["paths"]
    operations = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert operations >= {
        ("POST", "/upload/presigned"),
        ("POST", "/generate"),
        ("GET", "/jobs"),
        ("GET", "/jobs/{jobId}"),
        ("DELETE", "/jobs/{jobId}"),
        ("POST", "/jobs/{jobId}/cancel"),
        ("GET", "/usage"),
        ("GET", "/styles"),
    }


def test_a_route_without_a_declared_answer_is_refused(memory_runtime):
    app = openapi_free_resolver()
    with pytest.raises(LookupError, match="GET /undocumented"):
        openapi.document([app])


def openapi_free_resolver():
    from profilephoto.entrypoints.aws_lambda import http

    app = http.new_resolver()

    @app.get("/undocumented")
    def undocumented() -> dict[str, str]:
        return {}

    return app


@pytest.mark.slow
def test_the_local_server_serves_the_committed_document_without_authentication(tmp_path):
    with InProcessServer(tmp_path / "data") as server:
        response = httpx.get(f"{server.url}/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(COMMITTED.read_text())
