"""What a processed job costs in AWS calls on a warm worker, counted on moto as `make bench`
counts them (benchmarks/aws_calls.py)."""

from __future__ import annotations

from benchmarks.aws_calls import SOCKET_CALL, measure, pause_calls


def test_a_warm_worker_makes_five_aws_calls_per_job_and_one_per_socket():
    calls = dict(measure())["process (1 connection, warm)"]
    assert calls[SOCKET_CALL] == 1
    assert sum(calls.values()) - calls[SOCKET_CALL] - pause_calls(calls) == 5, calls
    # A cancel is learnt from the conditional claim and completion, not from a read.
    assert calls["dynamodb.GetItem"] == 0
    # The fleet's pause: at most one read for the batch (none when the container read it
    # moments ago), and no write while the model does not throttle.
    assert pause_calls(calls) <= 1
