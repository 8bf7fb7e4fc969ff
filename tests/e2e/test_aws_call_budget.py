"""What a processed job costs in AWS calls on a warm worker, counted on moto as `make bench`
counts them (benchmarks/aws_calls.py), and the README's table of those counts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.aws_calls import SOCKET_CALL, measure, pause_calls, shown

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def flows() -> dict[str, Counter[str]]:
    return dict(measure())


def test_a_warm_worker_makes_four_aws_calls_per_job_and_per_push_a_query_and_one_per_socket(
    flows,
):
    calls = flows["process (1 connection, warm)"]
    # Two pushes (processing at the claim, then the end), each a Query for the owner's
    # connections and a PostToConnection per socket: 4 + 2 x (1 + 1) = "6+2".
    assert calls[SOCKET_CALL] == 2
    assert calls["dynamodb.Query"] == 2
    rest = sum(calls.values()) - calls[SOCKET_CALL] - calls["dynamodb.Query"] - pause_calls(calls)
    assert rest == 4, calls
    # A cancel is learnt from the conditional claim and completion, not from a read.
    assert calls["dynamodb.GetItem"] == 0
    # The fleet's pause: at most one read for the batch (none when the container read it
    # moments ago), and no write while the model does not throttle.
    assert pause_calls(calls) <= 1


def test_the_readmes_benchmark_table_shows_what_make_bench_counts(flows):
    rows = re.findall(
        r"^\| (upload|generate|process) [^|]*\| ([\d +]+) \| ([\d +]+) \|", README.read_text(), re.M
    )
    table = {(flow, "cold"): cold.replace(" ", "") for flow, cold, _ in rows}
    table |= {(flow, "warm"): warm.replace(" ", "") for flow, _, warm in rows}
    counted = {}
    for name, calls in flows.items():
        flow, when = name.split(" ")[0], name.rsplit(" ", 1)[-1].strip("()")
        counted[flow, when] = shown(calls)
    assert table == counted
