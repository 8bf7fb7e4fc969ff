"""Hypothesis settings for the fuzz suites: seeded and bounded in `make test`, long in fuzz."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# `make fuzz` sets FUZZ_SCALE (how many times the bounded run) and draws a new seed each run.
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))
LONG = SCALE > 1

settings.register_profile(
    "profilephoto-fuzz",
    # Seeded: the same events every run of `make test`, so a failure reproduces; `make fuzz`
    # explores new ones (hypothesis prints the seed of a failing run to rerun it).
    derandomize=not LONG,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def examples(events: int, per_example: int) -> int:
    """How many hypothesis examples deliver `events` events (times FUZZ_SCALE)."""
    return SCALE * -(-events // per_example)
