"""JobQueue on SQS (one message per job, the body of docs/api.md §4.2) and its Redelivery; the
webhooks' own queue is another SqsJobQueue (one message per webhook event)."""

from __future__ import annotations

import json
import logging
import math
from datetime import timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.errors import translate
from profilephoto.domain.errors import QueueUnavailable
from profilephoto.domain.models import Model

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

# ChangeMessageVisibility takes 0..43200 seconds (12 hours), counted from the call.
MAX_VISIBILITY_SECONDS = 43_200


class SqsJobQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, message: Model) -> None:
        body = json.dumps(message.to_json_dict(), separators=(",", ":"))
        try:
            self._client.send_message(QueueUrl=self._queue_url, MessageBody=body)
        except (ClientError, BotoCoreError) as error:
            # Whatever went wrong (throttled, queue gone, denied), the job did not reach
            # the queue, and that is all the caller needs to know to release the unit.
            translate(error, "sqs.send")
            raise QueueUnavailable() from error

    def postpone(self, receipt: str, delay: timedelta) -> None:
        """ChangeMessageVisibility of a received message, so that it comes back after
        `delay`; on failure the queue's visibility timeout still redelivers it."""
        seconds = min(max(math.ceil(delay.total_seconds()), 0), MAX_VISIBILITY_SECONDS)
        try:
            self._client.change_message_visibility(
                QueueUrl=self._queue_url, ReceiptHandle=receipt, VisibilityTimeout=seconds
            )
        except (ClientError, BotoCoreError) as error:
            translate(error, "sqs.change_message_visibility")  # logs it; the timeout remains
