"""The three runtimes a host opens: local (in-process, on disk), aws (from the environment) and
memory (fakes, for a host's own tests). Each is a context manager giving one ProfilePhoto."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from profilephoto.bootstrap import bootstrap
from profilephoto.entrypoints.aws_lambda.runtime import Binding
from profilephoto.entrypoints.library.app import Hosting, ProfilePhoto
from profilephoto.entrypoints.library.worker import InProcessWorker
from profilephoto.settings import Settings, load_settings


@contextmanager
def local(
    data_dir: Path | str,
    *,
    base_url: str = "http://127.0.0.1:8000",
    settings: Settings | None = None,
    worker_threads: int = 2,
    sweep_every: float = 60.0,
) -> Iterator[ProfilePhoto]:
    """The whole local runtime in this process: SQLite and files under `data_dir`, the
    generator (Gemini with GEMINI_API_KEY, else the offline stylizer), and the worker and
    the sweep in background threads, stopped (a job in hand finished) on exit.

    Settings come from the environment as everywhere (`settings` overrides them);
    `base_url` is where `asgi_app` is reachable, for the upload and result URLs it hands
    out (the mount prefix included, e.g. `https://example.com/photos`)."""
    from profilephoto.containers.local import webhook_secret

    container = bootstrap(
        "local", settings or load_settings(), data_dir=data_dir, base_url=base_url
    )
    container.inspector()  # built now: a check this Python cannot run fails at start
    uow, clock = container.uow(), container.clock()
    application = container.application()
    uploads, results = container.uploads(), container.results()
    named, root = container.settings(), container.data_dir()
    hosting = Hosting(
        Binding(container, named),
        served_stores=[uploads, results],
        webhook_secret=lambda: webhook_secret(named, root),
    )
    worker = InProcessWorker(
        container.queue(),
        application,
        threads=worker_threads,
        sweep_every=sweep_every,
        housekeeping=lambda: uow.purge_expired(clock.now()),
        webhooks=container.webhooks(),
    )
    worker.start()
    try:
        yield ProfilePhoto(application, uploads, results, hosting)
    finally:
        worker.stop()
        uow.close()
        container.queue().close()
        container.pauses().close()
        container.webhooks().close()


@contextmanager
def aws(settings: Settings | None = None) -> Iterator[ProfilePhoto]:
    """The deployed runtime, named by the environment as the Lambda functions are (buckets,
    queue, tables; docs/api.md §1). Jobs run on the stack's worker function, not here."""
    from profilephoto.containers.aws import webhook_secret

    settings = settings or load_settings()
    container = bootstrap("aws", settings)
    yield ProfilePhoto(
        container.application(),
        container.uploads(),
        container.results(),
        Hosting(Binding(container, settings), webhook_secret=lambda: webhook_secret(settings)),
    )


@contextmanager
def memory(*, worker_threads: int = 1) -> Iterator[ProfilePhoto]:
    """Everything in memory, for a host's own tests: the fakes of `profilephoto.adapters.memory`
    (a scripted generator, a fixed clock), with a worker thread so jobs finish as they would."""
    from profilephoto.adapters.memory import TEST_SECRET

    container = bootstrap("memory")
    application = container.application()
    worker = InProcessWorker(
        container.queue(), application, threads=worker_threads, webhooks=container.webhooks()
    )
    worker.start()
    try:
        yield ProfilePhoto(
            application,
            container.uploads(),
            container.results(),
            Hosting(Binding(container, Settings()), webhook_secret=lambda: TEST_SECRET),
        )
    finally:
        worker.stop()
