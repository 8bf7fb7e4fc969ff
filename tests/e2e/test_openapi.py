"""docs/openapi.json is the document the code generates, and the local server serves it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator

from profilephoto.domain.models import JobError, JobStatus
from profilephoto.entrypoints.aws_lambda import openapi
from profilephoto.entrypoints.aws_lambda.views import job_page_view, job_view
from profilephoto.services.queries import JobDetails, JobDetailsPage
from tests.e2e.in_process_server import InProcessServer
from tests.jobs import make_job

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


def test_every_route_answers_with_a_view_model_and_reads_its_body_as_a_command():
    from profilephoto.entrypoints.aws_lambda import api, file_transfer
    from profilephoto.entrypoints.aws_lambda.commands import Command
    from profilephoto.entrypoints.aws_lambda.views import View

    for resolver in (api.resolver(), file_transfer.resolver()):
        for route in resolver.routes:
            declared = route.func.__dict__["openapi"]
            assert issubclass(declared.answer, View), route.path
            assert declared.body is None or issubclass(declared.body, Command), route.path


def schema_of(name: str) -> Draft202012Validator:
    document = openapi.rest_document()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", **document})


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"status": JobStatus.QUEUED, "metadata": {}},
        {"status": JobStatus.FAILED, "error": JobError(code="generation_failed", message="m")},
        {
            "status": JobStatus.FAILED,
            "error": JobError(code="photo_rejected", message="m", reason="no_face", photo_index=1),
        },
    ],
)
def test_a_job_view_of_every_kind_is_what_the_document_says(changes):
    # Schemathesis only meets the jobs its requests can make (none): every kind is checked here.
    job = make_job(status=JobStatus.COMPLETED).model_copy(
        update={"processing_time": 1234, "count": 2, "metadata": {"model": "m"}, **changes}
    )
    details = JobDetails(
        job=job,
        result_urls=("https://r/0.png", "https://r/1.png") if not changes else (),
        expires_at=job.created_at,
    )
    body = job_view(details).to_json()
    assert not list(schema_of("JobView").iter_errors(body))
    assert None not in body.values()
    page = job_page_view(JobDetailsPage(items=(details,), next_token=None)).to_json()
    assert not list(schema_of("JobPageView").iter_errors(page)) and page["nextToken"] is None


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
