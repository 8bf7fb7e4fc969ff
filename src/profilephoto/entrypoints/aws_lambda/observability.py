"""Powertools logger and EMF metrics for the handlers (namespace ProfilePhoto), per invocation.

One process may run several invocations at once: the local server's worker threads, a host's
threads, a batch's record threads. Powertools keeps `Metrics` in class attributes shared by
every instance, and `inject_lambda_context` puts the request's keys on the shared logger, so
one invocation would flush another's metrics (or find them gone) and tag its log lines with
another's function and request id. Here each invocation runs in its own copy of the context
(as the resolvers in http.py do): its log keys and its metric set live there, and the threads
it starts with that context (process.py's record threads) share them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICE = "profilephoto"
NAMESPACE = "ProfilePhoto"

# Powertools names its logger after the service, "profilephoto": the root of the package's
# standard-library loggers, so the domain's records come out as the same structured JSON.
# To standard error: a host's standard output is its own (Lambda sends both streams to
# CloudWatch Logs); the EMF metrics stay on standard output, where Powertools prints them.
logger = Logger(service=SERVICE, stream=sys.stderr)

Result = TypeVar("Result")
Handler = Callable[[dict[str, Any], LambdaContext], Result]


class InvocationMetrics:
    """One invocation's EMF metric set, flushed once when the invocation ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the invocation's record threads add at once
        self._provider = AmazonCloudWatchEMFProvider(
            namespace=NAMESPACE, service=SERVICE, metric_set={}, dimension_set={}, metadata_set={}
        )

    def add_metric(self, name: str, unit: MetricUnit | str, value: float) -> None:
        with self._lock:
            self._provider.add_metric(name=name, unit=unit, value=value)

    def serialize(self) -> dict[str, Any]:
        """The EMF document a flush would print now."""
        with self._lock:
            return dict(self._provider.serialize_metric_set())

    def flush(self) -> None:
        with self._lock:
            if self._provider.metric_set:  # nothing to say is not worth a warning
                self._provider.flush_metrics()


_current: contextvars.ContextVar[InvocationMetrics | None] = contextvars.ContextVar(
    "profilephoto_invocation_metrics", default=None
)


class _CurrentMetrics:
    """`metrics.add_metric(...)` adds to the running invocation's set; outside one (a test
    calling a helper directly) the metric is published on its own at once."""

    def add_metric(self, name: str, unit: MetricUnit | str, value: float) -> None:
        current = _current.get()
        if current is not None:
            current.add_metric(name, unit, value)
            return
        with single_metric(
            name=name,
            unit=MetricUnit(unit),
            value=value,
            namespace=NAMESPACE,
            default_dimensions={"service": SERVICE},
        ):
            pass


metrics = _CurrentMetrics()

_cold_lock = threading.Lock()
_warm = False


def _cold_start() -> bool:
    """True for the process's first invocation only."""
    global _warm
    with _cold_lock:
        cold, _warm = not _warm, True
    return cold


def lambda_handler(handler: Handler[Result]) -> Handler[Result]:
    """What every Lambda handler is wrapped in: log keys (the function, the request id, cold
    start) and a metric set of its own, flushed when the invocation ends, however it ends."""

    @functools.wraps(handler)
    def invoke(event: dict[str, Any], context: LambdaContext) -> Result:
        return contextvars.copy_context().run(_invoke, handler, event, context)

    return invoke


def _invoke(handler: Handler[Result], event: dict[str, Any], context: LambdaContext) -> Result:
    lambda_keys = build_lambda_context_model(context).__dict__
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(cold_start=_cold_start(), **lambda_keys)
    with metric_set():
        return handler(event, context)


@contextlib.contextmanager
def metric_set() -> Iterator[InvocationMetrics]:
    """A metric set that `metrics.add_metric` fills in this context, flushed on leaving it."""
    invocation = InvocationMetrics()
    token = _current.set(invocation)
    try:
        yield invocation
    finally:
        _current.reset(token)
        invocation.flush()


def count(name: str, **dimensions: str) -> None:
    """One EMF count, with its own dimensions (e.g. failures by code)."""
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        return
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE},
    ) as metric:
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)
