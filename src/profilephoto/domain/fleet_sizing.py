"""How many workers, with how many records each, keep a model's quota busy but not over it."""

from __future__ import annotations

import math
from dataclasses import dataclass

# A batch lasts as long as its slowest model call, and image calls take 6-12 s: a batch of
# five lasts about 11 s (docs/deploy.md, "Throttling").
BATCH_SECONDS = 11
# Records a worker invocation runs at once; a larger batch waits longer on its slowest call.
MAX_BATCH = 5
# What an SQS event source's ScalingConfig.MaximumConcurrency accepts.
MIN_CONCURRENCY, MAX_CONCURRENCY = 2, 1000
# The quotas template.yaml offers (ModelRequestsPerMinute), each with its row of FleetSizing.
OFFERED_RPM = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


@dataclass(frozen=True)
class FleetSize:
    concurrency: int  # the event source's ScalingConfig.MaximumConcurrency
    batch_size: int  # the event source's BatchSize

    @property
    def records(self) -> int:
        """Records in flight at most, each making about 60 / BATCH_SECONDS calls a minute."""
        return self.concurrency * self.batch_size


def fleet_size(requests_per_minute: int) -> FleetSize:
    """The smallest fleet whose calls a minute (records x 60 / BATCH_SECONDS) reach the
    quota: fewer leaves quota unused while jobs wait, more only meets 429s (the shared pause
    holds every worker back when it does). Batches of up to MAX_BATCH, over at least the two
    workers SQS asks for."""
    if requests_per_minute < 1:
        raise ValueError("a model quota is at least one request a minute")
    records = max(MIN_CONCURRENCY, math.ceil(requests_per_minute * BATCH_SECONDS / 60))
    batch = max(1, min(MAX_BATCH, records // MIN_CONCURRENCY))
    concurrency = min(MAX_CONCURRENCY, max(MIN_CONCURRENCY, math.ceil(records / batch)))
    return FleetSize(concurrency, batch)
