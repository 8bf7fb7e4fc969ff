import threading

import pytest

from profilephoto.domain.errors import ContentBlocked, GenerationFailed, TransientGenerationError
from profilephoto.services.variants import Variants, produce_variants

DEADLINE = 30.0  # generous: the box is loaded; this only bounds a hang


def raising(errors):
    def make(n: int) -> int:
        raise errors[n]

    return make


def test_one_variant_is_one_call_on_the_callers_thread():
    threads: list[str] = []
    result = produce_variants(1, lambda n: threads.append(threading.current_thread().name) or n)
    assert result == Variants([0], 0)
    assert threads == [threading.current_thread().name]


def test_the_calls_of_several_variants_all_run_at_the_same_time():
    # Every call waits for all the others: only concurrent calls can get past the barrier.
    together = threading.Barrier(4, timeout=DEADLINE)

    def make(n: int) -> int:
        together.wait()
        return n * 10

    assert produce_variants(4, make) == Variants([0, 10, 20, 30], 0)


def test_a_partial_success_keeps_the_order_and_counts_the_failures():
    def make(n: int) -> int:
        if n == 1:
            raise GenerationFailed()
        return n

    assert produce_variants(3, make) == Variants([0, 2], 1)


def test_when_all_fail_a_transient_failure_decides_so_the_job_is_retried():
    errors = [ContentBlocked(), TransientGenerationError(), GenerationFailed()]
    with pytest.raises(TransientGenerationError):
        produce_variants(3, raising(errors))


def test_when_all_fail_permanently_the_first_failure_decides():
    errors = [ContentBlocked(), GenerationFailed()]
    with pytest.raises(ContentBlocked):
        produce_variants(2, raising(errors))
