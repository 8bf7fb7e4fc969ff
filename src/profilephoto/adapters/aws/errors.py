"""The one place where botocore errors become domain errors for every AWS adapter."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from profilephoto.domain.errors import (
    ConditionFailed,
    ObjectNotFound,
    ProfilePhotoError,
    ServiceUnavailable,
)

logger = logging.getLogger(__name__)

# Codes AWS uses for "slow down" or "try again": the operation may succeed if retried.
TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestTimeout",
        "ServiceUnavailable",
        "SlowDown",
        "ThrottledException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "TransactionConflict",
        "TransactionInProgressException",
    }
)
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
NETWORK_ERRORS = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_reasons(error: ClientError) -> list[dict[str, Any]]:
    """Per-item reasons of a cancelled transaction, in the order the items were sent."""
    return [dict(reason) for reason in error.response.get("CancellationReasons", []) or []]


def translate(error: Exception, operation: str) -> ProfilePhotoError:
    """The domain error for a failed AWS call (a failed condition is ConditionFailed)."""
    if isinstance(error, ProfilePhotoError):
        return error
    if isinstance(error, ClientError):
        code = error_code(error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code == "ConditionalCheckFailedException":
            return ConditionFailed(f"{operation}: the item was not in the expected state")
        if code == "TransactionCanceledException":
            return _cancelled(error, operation)
        if code in NOT_FOUND_CODES:
            return ObjectNotFound()
        if code in TRANSIENT_CODES or status >= 500 or status == 429:
            _log(logging.WARNING, operation, code, status)
            return ServiceUnavailable()
        _log(logging.ERROR, operation, code, status)
        return ProfilePhotoError()
    if isinstance(error, NETWORK_ERRORS):
        _log(logging.WARNING, operation, type(error).__name__, 0)
        return ServiceUnavailable()
    if isinstance(error, BotoCoreError):
        # Missing credentials, bad parameters: a deployment or programming error.
        _log(logging.ERROR, operation, type(error).__name__, 0)
        return ProfilePhotoError()
    raise TypeError(f"not an AWS error: {type(error).__name__}") from error


def _cancelled(error: ClientError, operation: str) -> ProfilePhotoError:
    codes = [str(reason.get("Code") or "None") for reason in cancellation_reasons(error)]
    if "ConditionalCheckFailed" in codes:
        return ConditionFailed(f"{operation}: an item was not in the expected state")
    _log(logging.WARNING, operation, ",".join(codes) or "TransactionCanceled", 400)
    return ServiceUnavailable()


def _log(level: int, operation: str, code: str, status: int) -> None:
    logger.log(
        level,
        "aws call failed",
        extra={"operation": operation, "awsErrorCode": code, "httpStatus": status},
    )


def reraise(error: Exception, operation: str) -> NoReturn:
    raise translate(error, operation) from error


@contextmanager
def aws_errors(operation: str) -> Iterator[None]:
    """Run an AWS call; any botocore error leaves as the matching domain error."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        reraise(error, operation)
