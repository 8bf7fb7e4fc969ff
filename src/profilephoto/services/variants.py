"""Several images of one job: `count` model calls at once, and what came of each."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from profilephoto.domain.errors import GenerationError
from profilephoto.domain.models import GeneratedImage

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Variants(Generic[T]):
    """The variants that succeeded, in the order they were asked for, and how many failed."""

    produced: list[T]
    failed: int


def produce_variants(count: int, make: Callable[[int], T]) -> Variants[T]:
    """Run `make(0) ... make(count - 1)` concurrently (each is one model call).

    Some failing is still a result: the job completes with what succeeded and the failed
    ones are refunded (docs/api.md §4.1). All failing raises the failure that classifies
    the job: a transient one if any (another attempt may well succeed), else the first.
    One variant is called on this thread, so a single image costs no thread at all.
    """
    if count == 1:
        return Variants([make(0)], 0)
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="variant") as pool:
        futures = [pool.submit(make, n) for n in range(count)]
    produced: list[T] = []
    errors: list[BaseException] = []
    for n, future in enumerate(futures):
        error = future.exception()
        if error is None:
            produced.append(future.result())
        else:
            log.info("variant failed", extra={"variant": n, "error": repr(error)})
            errors.append(error)
    if not produced:
        raise _deciding(errors)
    return Variants(produced, len(errors))


def seeded(call: Callable[[int], T], variant: int, count: int) -> Callable[[], T]:
    """`call` with a seed of its own each time: variant n's calls take n, n + count, ...,
    so no two calls of one job (variants, likeness retries) share a seed."""
    seeds = itertools.count(variant, count)
    return lambda: call(next(seeds))


def _deciding(errors: list[BaseException]) -> BaseException:
    transient = [e for e in errors if isinstance(e, GenerationError) and e.transient]
    return transient[0] if transient else errors[0]


def total_usage(images: Sequence[GeneratedImage]) -> dict[str, int]:
    """The token counts of every call added up, name by name (the job's `metadata.usage`)."""
    total: dict[str, int] = {}
    for image in images:
        for name, tokens in image.usage.items():
            total[name] = total.get(name, 0) + tokens
    return total
