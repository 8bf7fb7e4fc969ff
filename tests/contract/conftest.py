"""Contract fixtures: each is parametrized over every enrolled runtime."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dependency_injector import providers

from profilephoto.domain.ports import UnitOfWork
from tests.conftest import World, make_world
from tests.contract.runtimes import RUNTIMES, PauseHarness, QueueHarness, StoreHarness, load


@pytest.fixture(params=sorted(RUNTIMES))
def uow(request: pytest.FixtureRequest) -> Iterator[UnitOfWork]:
    with load(request.param).unit_of_work() as unit:
        yield unit


@pytest.fixture(params=sorted(RUNTIMES))
def objects(request: pytest.FixtureRequest) -> Iterator[StoreHarness]:
    with load(request.param).object_store() as harness:
        yield harness


@pytest.fixture(params=sorted(RUNTIMES))
def jobs_queue(request: pytest.FixtureRequest) -> Iterator[QueueHarness]:
    with load(request.param).job_queue() as harness:
        yield harness


@pytest.fixture(params=sorted(RUNTIMES))
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """The services over the memory fakes but for the runtime's unit of work (the use cases
    whose rules a store's reads and commits decide: account deletion, retention...)."""
    with load(request.param).unit_of_work() as uow:
        built = make_world()
        built.container.uow.override(providers.Object(uow))
        yield built


@pytest.fixture(params=sorted(RUNTIMES))
def pauses(request: pytest.FixtureRequest) -> Iterator[PauseHarness]:
    with load(request.param).pause_record() as harness:
        yield harness
