"""JobQueue: every adapter behaves like this."""

import pytest

from profilephoto.domain.errors import QueueUnavailable
from profilephoto.domain.models import JobMessage

MESSAGE = JobMessage(
    job_id="job_" + "1" * 32, user_id="alice", file_key="uploads/alice/k.jpg", style="professional"
)


def test_a_sent_message_is_received_with_the_contract_body(jobs_queue):
    jobs_queue.queue.send(MESSAGE)
    assert jobs_queue.receive() == [MESSAGE]


def test_a_failed_send_raises_queue_unavailable_and_sends_nothing(jobs_queue):
    jobs_queue.break_next_send()
    with pytest.raises(QueueUnavailable):
        jobs_queue.queue.send(MESSAGE)
    assert jobs_queue.receive() == []
