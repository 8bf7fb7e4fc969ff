"""The memory fakes, the reference implementation of every port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from profilephoto.adapters.memory import (
    InMemoryJobQueue,
    InMemoryObjectStore,
    InMemoryPauseRecord,
    InMemoryUnitOfWork,
)
from profilephoto.domain.errors import QueueUnavailable, ServiceUnavailable
from profilephoto.domain.models import PresignedRequest
from profilephoto.domain.ports import UnitOfWork
from tests.contract.runtimes import PauseHarness, QueueHarness, StoreHarness


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    yield InMemoryUnitOfWork()


@contextmanager
def object_store() -> Iterator[StoreHarness]:
    store = InMemoryObjectStore("contract")

    def upload(request: PresignedRequest, data: bytes) -> None:
        key = request.url.split("/", 3)[3].split("?", 1)[0]
        from urllib.parse import unquote

        store.write(unquote(key), data, request.headers["Content-Type"])

    yield StoreHarness(store, upload)


@contextmanager
def job_queue() -> Iterator[QueueHarness]:
    queue = InMemoryJobQueue()
    yield QueueHarness(queue, queue.drain, lambda: queue.fail_next(QueueUnavailable()))


@contextmanager
def pause_record() -> Iterator[PauseHarness]:
    record = InMemoryPauseRecord()  # every worker of a memory runtime shares the object
    yield PauseHarness(record, lambda: record, lambda: record.fail_next(ServiceUnavailable()))
