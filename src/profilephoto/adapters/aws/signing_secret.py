"""The C2PA signing certificate chain and key, from a Secrets Manager secret (docs/deploy.md)."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.labels.certificates import SigningCredentials
from profilephoto.domain.errors import LabelingFailed

log = logging.getLogger(__name__)


def secret_credentials(client: Any, secret_id: str) -> SigningCredentials:
    """The secret's SecretString, JSON {"certificate_chain", "private_key"} (PEM); any
    failure is LabelingFailed (retried, refunded), logged for the operator with its cause."""
    try:
        answer = client.get_secret_value(SecretId=secret_id)
        return SigningCredentials.from_secret(answer["SecretString"])
    except ClientError as error:
        cause = error.response.get("Error", {}).get("Code", "ClientError")
    except (BotoCoreError, KeyError, ValueError) as error:
        cause = (
            f"{type(error).__name__}: {error}"
            if isinstance(error, ValueError)
            else type(error).__name__
        )
    log.error(
        "C2PA signing secret could not be read: check C2PA_SECRET_ARN and its contents",
        extra={"cause": cause, "operatorError": True},
    )
    raise LabelingFailed(f"The signing certificate could not be read ({cause.split(':')[0]})")
