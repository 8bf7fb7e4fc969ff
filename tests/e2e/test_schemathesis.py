"""Schemathesis, an OpenAPI-driven API tester, against the local server from docs/openapi.json,
with every check it has (the CLI's `--checks all`): no 500s, every answer conforms to the
document (status, content type, headers, schema), data the document calls valid is accepted
and invalid data refused, undeclared methods are 405 with Allow, and auth is not ignored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.e2e.in_process_server import InProcessServer
from tests.fuzz.profile import SCALE

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
schema = schemathesis.openapi.from_path(DOCUMENT)
# An unknown query parameter or header is ignored, as API Gateway passes them all on: not
# a request to refuse.
schema.config.generation.update(allow_extra_parameters=False)
load_all_checks()
ALL_CHECKS = CHECKS.get_all()  # what `--checks all` selects
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
    # A nextToken is opaque: only one the API issued is valid, which no schema can say, so a
    # made-up one is refused (400) however well formed; every other check still applies.
    made_up_token = case.path == "/jobs" and (case.query or {}).get("nextToken") is not None
    # JSON Schema calls 4.0 an integer; the API, as docs/api.md §3 says, refuses it (400).
    integral_float = isinstance(case.body, dict) and any(
        isinstance(value, float) for value in case.body.values()
    )
    case.call_and_validate(
        base_url=server.url,
        headers=auth,
        checks=ALL_CHECKS,
        excluded_checks=[positive_data_acceptance] if made_up_token or integral_float else [],
        timeout=60,
    )
