"""Schemathesis, an OpenAPI-driven API tester, against the local server from docs/openapi.json:
no 500s, and every answer conforms to the document (status, content type, schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import settings
from schemathesis import checks

from tests.e2e.in_process_server import InProcessServer
from tests.fuzz.profile import SCALE

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
schema = schemathesis.openapi.from_path(DOCUMENT)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with InProcessServer(tmp_path_factory.mktemp("schemathesis") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def auth(server: InProcessServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token('schemathesis-user')}"}


@schema.parametrize()
@settings(max_examples=25 * SCALE, derandomize=SCALE == 1, deadline=None, database=None)
def test_the_local_server_answers_as_its_openapi_document_says(case, server, auth):
    case.call_and_validate(base_url=server.url, headers=auth, checks=CHECKS, timeout=60)
