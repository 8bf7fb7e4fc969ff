"""Scheduled handler: the sweep that makes every job end (docs/api.md §4.1)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.entrypoints.aws_lambda import observability, runtime
from profilephoto.entrypoints.aws_lambda.observability import logger, metrics


@observability.lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    app = runtime.application()
    report = app.reconciler.sweep()
    expired = app.retention.sweep()
    # A sweep that found nothing runs every minute; only one that acted is worth a line.
    acted = report.requeued or report.failed or report.resent or expired
    log = logger.info if acted else logger.debug
    if report.errors:
        log = logger.warning  # each failure was logged with its job; the next sweep retries
    log(
        "sweep done",
        extra={
            "requeued": report.requeued,
            "failed": report.failed,
            "resent": report.resent,
            "errors": report.errors,
            "expired": expired,
        },
    )
    metrics.add_metric(name="JobsRequeued", unit="Count", value=len(report.requeued))
    metrics.add_metric(name="JobsTimedOut", unit="Count", value=len(report.failed))
    metrics.add_metric(name="WebhooksResent", unit="Count", value=len(report.resent))
    metrics.add_metric(name="SweepErrors", unit="Count", value=report.errors)
    metrics.add_metric(name="JobsExpired", unit="Count", value=expired)
    return {"requeued": len(report.requeued), "failed": len(report.failed)}
