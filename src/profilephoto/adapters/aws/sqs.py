"""JobQueue on SQS: one message per job with the docs/api.md §4.2 body."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.errors import translate
from profilephoto.domain.errors import QueueUnavailable
from profilephoto.domain.models import JobMessage

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)


class SqsJobQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, message: JobMessage) -> None:
        body = json.dumps(message.to_json_dict(), separators=(",", ":"))
        try:
            self._client.send_message(QueueUrl=self._queue_url, MessageBody=body)
        except (ClientError, BotoCoreError) as error:
            # Whatever went wrong (throttled, queue gone, denied), the job did not reach
            # the queue, and that is all the caller needs to know to release the unit.
            translate(error, "sqs.send")
            raise QueueUnavailable() from error
