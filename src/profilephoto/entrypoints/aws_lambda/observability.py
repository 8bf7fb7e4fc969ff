"""Powertools logger and EMF metrics shared by the handlers (namespace ProfilePhoto)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "profilephoto"
NAMESPACE = "ProfilePhoto"

# Powertools names its logger after the service, "profilephoto": the root of the package's
# standard-library loggers, so the domain's records come out as the same structured JSON.
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


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
