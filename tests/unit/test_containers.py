"""Every provider of every runtime container builds (nothing is called, nothing is reached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dependency_injector import containers, providers

from profilephoto.containers.local import build_local_container
from profilephoto.containers.memory import MemoryContainer
from profilephoto.settings import load_settings

SERVICES = {
    "upload_service",
    "generation_service",
    "processing_service",
    "query_service",
    "reconciler",
    "connection_service",
    "styles",
}


def resolve_all(container: Any) -> dict[str, object]:
    """Each provider's value, by name, the services' included under `services.`."""
    built: dict[str, object] = {}
    for name, provider in container.providers.items():
        if isinstance(provider, providers.Container):
            inner = provider()
            for inner_name, inner_provider in inner.providers.items():
                if not isinstance(inner_provider, providers.Dependency):
                    built[f"{name}.{inner_name}"] = inner_provider()
        else:
            built[name] = provider()
    return built


def service_names(built: dict[str, object]) -> set[str]:
    return {name.split(".", 1)[1] for name in built if name.startswith("services.")}


def test_every_memory_provider_builds():
    built = resolve_all(MemoryContainer())
    assert service_names(built) >= SERVICES


def test_every_local_provider_builds_in_a_fresh_data_dir(tmp_path: Path):
    container = build_local_container(load_settings(), tmp_path / "data", "http://127.0.0.1:9")
    try:
        built = resolve_all(container)
        assert service_names(built) >= SERVICES
        ticket = built["uploads"].presign_upload("uploads/u/a.jpg", "image/jpeg", 60, 1)  # type: ignore[attr-defined]
        assert ticket.url.startswith("http://127.0.0.1:9/objects/uploads/uploads/u/a.jpg?")
        assert (tmp_path / "data" / "token.key").exists()
    finally:
        container.uow().close()
        container.queue().close()


def test_the_local_queue_outlives_a_processing_lease_by_default(tmp_path: Path):
    settings = load_settings(PROCESSING_LEASE_SECONDS=20)
    container = build_local_container(settings, tmp_path)
    assert container.queue().visibility_timeout > 20
    container.queue().close()


def test_every_aws_provider_builds_without_reaching_aws(monkeypatch: pytest.MonkeyPatch):
    moto = pytest.importorskip("moto")
    fake = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "UPLOAD_BUCKET": "uploads",
        "RESULT_BUCKET": "results",
        "SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
        "WEBSOCKET_ENDPOINT": "https://ws123.execute-api.us-east-1.amazonaws.com/prod",
        "GEMINI_API_KEY": "fake-key",
        # Read at the first result, never while the container is built.
        "C2PA_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:c2pa-AbCdEf",
    }
    for name, value in fake.items():
        monkeypatch.setenv(name, value)
    from profilephoto.containers.aws import build_aws_container

    with moto.mock_aws():
        container: containers.DeclarativeContainer = build_aws_container(load_settings())
        built = resolve_all(container)
    assert service_names(built) >= SERVICES
    assert type(built["generator"]).__name__ == "GeminiImageGenerator"


def test_the_typed_application_of_a_runtime_gives_every_use_case():
    from profilephoto.containers.core import Application

    application = MemoryContainer().application()
    names = [name for name, value in vars(Application).items() if isinstance(value, property)]
    built = {name: type(getattr(application, name)).__name__ for name in names}
    assert set(built.values()) >= {
        "UploadService",
        "GenerationService",
        "ProcessingService",
        "QueryService",
        "DeletionService",
        "CancellationService",
        "Reconciler",
        "ConnectionService",
    }
