import threading
from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers

from profilephoto.domain.backoff import Backoff
from profilephoto.domain.errors import RetryLater, TransientGenerationError
from profilephoto.domain.models import JobStatus
from profilephoto.domain.throttle import Throttle, ThrottleBreaker
from profilephoto.services.processing import Outcome, ProcessingService
from tests.conftest import World

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def throttled(hint: timedelta | None = 53 * S) -> TransientGenerationError:
    return TransientGenerationError("429 RESOURCE_EXHAUSTED", retry_after=hint, throttled=True)


def service_with(world: World, throttle: Throttle) -> ProcessingService:
    """The memory runtime's processing service, wired as usual but for its throttle."""
    wiring = world.container.services.processing_service
    return providers.Factory(wiring.provides, *wiring.args, **wiring.kwargs)(throttle=throttle)


def queued(world: World):
    accepted = world.generate()
    (message,) = world.queue.drain()
    return accepted.job_id, message


# --- the breaker --------------------------------------------------------------------------


def test_a_closed_breaker_lets_calls_through():
    assert ThrottleBreaker().paused_for(NOON) is None


def test_one_throttled_call_pauses_calls_for_the_hinted_delay():
    breaker = ThrottleBreaker()
    breaker.throttled(NOON, 53 * S)
    assert breaker.paused_for(NOON) == 53 * S
    assert breaker.paused_for(NOON + 50 * S) == 3 * S
    assert breaker.paused_for(NOON + 53 * S) is None


def test_with_a_threshold_only_consecutive_throttled_calls_open_it():
    breaker = ThrottleBreaker(threshold=2)
    breaker.throttled(NOON, 10 * S)
    breaker.succeeded()
    breaker.throttled(NOON, 10 * S)
    assert breaker.paused_for(NOON) is None
    breaker.throttled(NOON, 10 * S)
    assert breaker.paused_for(NOON) == 10 * S


def test_without_a_hint_the_pause_is_the_default_and_any_pause_is_capped():
    breaker = ThrottleBreaker(default_pause=30 * S, max_pause=timedelta(minutes=5))
    breaker.throttled(NOON, None)
    assert breaker.paused_for(NOON) == 30 * S
    breaker.throttled(NOON, timedelta(hours=2))
    assert breaker.paused_for(NOON) == timedelta(minutes=5)


def test_a_shorter_hint_never_shortens_a_pause_already_running():
    breaker = ThrottleBreaker()
    breaker.throttled(NOON, 40 * S)
    breaker.throttled(NOON + S, 2 * S)
    assert breaker.paused_for(NOON + S) == 39 * S


def test_concurrent_records_share_one_breaker_safely():
    breaker = ThrottleBreaker(threshold=200)
    workers = [
        threading.Thread(target=lambda: [breaker.throttled(NOON, S) for _ in range(50)])
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert breaker.paused_for(NOON) == S  # exactly the 200th call opened it


@pytest.mark.parametrize("threshold", [0, -1])
def test_a_breaker_that_could_never_close_is_refused(threshold):
    with pytest.raises(ValueError):
        ThrottleBreaker(threshold=threshold)


# --- the processing service with its throttle ---------------------------------------------


def test_a_429_hands_the_job_back_for_at_least_the_models_hint(world):
    job_id, message = queued(world)
    world.generator.then(throttled(53 * S))
    service = service_with(world, Throttle(draw=lambda: 0.0))
    with pytest.raises(RetryLater) as raised:
        service.process(message)
    assert (raised.value.delay, raised.value.throttled) == (53 * S, True)
    assert world.uow.jobs.get(job_id).status is JobStatus.PROCESSING  # lease handed back


def test_after_a_429_the_container_hands_records_back_without_calling_or_claiming(world):
    _, first = queued(world)
    second_id, second = queued(world)
    world.generator.then(throttled(40 * S))
    service = service_with(world, Throttle(draw=lambda: 0.0))
    with pytest.raises(RetryLater):
        service.process(first)

    world.clock.advance(10 * S)
    with pytest.raises(RetryLater) as raised:
        service.process(second)

    assert raised.value.paused and raised.value.delay == 30 * S
    assert len(world.generator.calls) == 1
    job = world.uow.jobs.get(second_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)  # no attempt spent


def test_once_the_pause_is_over_the_model_is_called_again(world):
    _, first = queued(world)
    _, second = queued(world)
    world.generator.then(throttled(40 * S))
    service = service_with(world, Throttle(draw=lambda: 0.0))
    with pytest.raises(RetryLater):
        service.process(first)
    world.clock.advance(40 * S)
    assert service.process(second).outcome is Outcome.COMPLETED


def test_a_503_is_retried_soon_and_does_not_pause_the_container(world):
    _, first = queued(world)
    _, second = queued(world)
    world.generator.then(TransientGenerationError("503 UNAVAILABLE"))
    service = service_with(world, Throttle(draw=lambda: 0.99))
    with pytest.raises(RetryLater) as raised:
        service.process(first)
    assert 5 * S <= raised.value.delay < 60 * S
    assert not raised.value.throttled
    assert service.process(second).outcome is Outcome.COMPLETED


def test_the_second_retry_waits_longer_than_the_first(world):
    _, message = queued(world)
    world.generator.then(*[TransientGenerationError("503")] * 2)
    service = service_with(world, Throttle(breaker=None, draw=lambda: 0.0))
    delays = []
    for _ in (1, 2):
        with pytest.raises(RetryLater) as raised:
            service.process(message)
        delays.append(raised.value.delay)
    assert delays == [5 * S, 30 * S]


def test_a_job_refused_by_the_breaker_keeps_its_whole_attempt_budget(world):
    job_id, message = queued(world)
    world.generator.then(throttled(30 * S))
    _, blocker = queued(world)
    service = service_with(world, Throttle(draw=lambda: 0.0))
    with pytest.raises(RetryLater):
        service.process(blocker)
    for _ in range(1, 6):  # five refused deliveries, more than MAX_ATTEMPTS
        with pytest.raises(RetryLater):
            service.process(message)
    world.clock.advance(30 * S)
    assert service.process(message).outcome is Outcome.COMPLETED
    assert world.uow.jobs.get(job_id).attempts == 1


def test_without_backoff_or_breaker_the_queue_timeout_decides_as_before(world):
    _, message = queued(world)
    world.generator.then(throttled(53 * S), throttled(53 * S))
    service = service_with(world, Throttle(backoff=None, breaker=None))
    with pytest.raises(RetryLater) as raised:
        service.process(message)
    assert raised.value.delay is None
    with pytest.raises(RetryLater):
        service.process(message)  # no pause: the model is called again
    assert len(world.generator.calls) == 2


def test_the_default_throttle_uses_the_default_schedule():
    throttle = Throttle(draw=lambda: 0.0)
    assert throttle.retry_delay(1, None) == Backoff().delay(1)
    assert throttle.paused(NOON) is None


def test_a_job_throttled_on_its_last_attempt_is_handed_back_not_failed(world):
    _, message = queued(world)
    world.generator.then(*[throttled(S)] * 3)
    service = service_with(world, Throttle(draw=lambda: 0.0))
    for _ in (1, 2, 3):
        world.clock.advance(timedelta(minutes=1))  # past each pause
        with pytest.raises(RetryLater):
            service.process(message)
    world.clock.advance(timedelta(minutes=1))
    assert service.process(message).outcome is Outcome.COMPLETED
    assert used(world) == 1


def test_a_503_on_the_last_attempt_still_fails_and_refunds(world):
    job_id, message = queued(world)
    world.generator.then(*[TransientGenerationError("503")] * 3)
    service = service_with(world, Throttle(draw=lambda: 0.0))
    for _ in (1, 2):
        with pytest.raises(RetryLater):
            service.process(message)
    assert service.process(message).outcome is Outcome.FAILED
    assert (world.uow.jobs.get(job_id).error.code, used(world)) == ("generation_failed", 0)


def test_before_throttling_was_spared_a_third_429_failed_the_job(world):
    _, message = queued(world)
    world.generator.then(*[throttled(S)] * 3)
    service = service_with(world, Throttle(breaker=None, throttling_spares_last_attempt=False))
    for _ in (1, 2):
        with pytest.raises(RetryLater):
            service.process(message)
    assert service.process(message).outcome is Outcome.FAILED


def used(world: World) -> int:
    from tests.conftest import ALICE

    return world.queries.get_usage(ALICE).used
