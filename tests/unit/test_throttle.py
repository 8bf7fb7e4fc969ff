from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers

from profilephoto.adapters.memory import InMemoryPauseRecord
from profilephoto.domain.backoff import Backoff
from profilephoto.domain.errors import RetryLater, ServiceUnavailable, TransientGenerationError
from profilephoto.domain.models import JobStatus
from profilephoto.domain.throttle import Throttle
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


# --- the fleet's pause ---------------------------------------------------------------------


def test_no_pause_recorded_lets_calls_through():
    assert Throttle(InMemoryPauseRecord()).paused(NOON) is None


def test_one_429_pauses_every_container_of_the_fleet():
    record = InMemoryPauseRecord()
    here, elsewhere = Throttle(record, draw=lambda: 0.0), Throttle(record, draw=lambda: 0.0)
    elsewhere.paused(NOON)  # it has read the record already: nothing was paused then
    here.throttled(NOON, 53 * S)
    assert here.paused(NOON) == 53 * S
    # The other container learns of it at its next read, `refresh` later at most.
    assert elsewhere.paused(NOON + 5 * S) == 48 * S
    assert elsewhere.paused(NOON + 53 * S) is None


def test_the_record_is_read_once_per_refresh_however_many_records_ask():
    record = InMemoryPauseRecord()
    throttle = Throttle(record, refresh=5 * S)
    with ThreadPoolExecutor(5) as batch:
        list(batch.map(throttle.paused, [NOON] * 5))
    throttle.paused(NOON + 4 * S)
    assert record.reads == 1
    throttle.paused(NOON + 5 * S)
    assert record.reads == 2


def test_a_429_writes_the_pause_once_and_the_same_pause_is_not_written_again():
    record = InMemoryPauseRecord()
    throttle = Throttle(record)
    with ThreadPoolExecutor(5) as batch:  # a batch's records all meet the 429
        list(batch.map(lambda _: throttle.throttled(NOON, 53 * S), range(5)))
    assert (record.writes, record.until) == (1, NOON + 53 * S)
    throttle.throttled(NOON + S, 52 * S)  # the same window, a second later
    assert record.writes == 1
    throttle.throttled(NOON + 60 * S, 30 * S)  # a new pause
    assert (record.writes, record.until) == (2, NOON + 90 * S)


def test_a_pause_learnt_from_the_record_is_not_written_back():
    record = InMemoryPauseRecord()
    Throttle(record).throttled(NOON, 53 * S)
    elsewhere = Throttle(record)
    elsewhere.paused(NOON)
    elsewhere.throttled(NOON, 53 * S)
    assert record.writes == 1


def test_without_a_hint_the_pause_is_the_backoffs_first_step_and_any_pause_is_capped():
    record = InMemoryPauseRecord()
    throttle = Throttle(record, draw=lambda: 0.0)
    throttle.throttled(NOON, None)
    assert record.until == NOON + Backoff().steps[0]
    throttle.throttled(NOON, timedelta(hours=2))
    assert record.until == NOON + Backoff().cap


def test_a_shorter_hint_never_shortens_a_pause_already_running():
    record = InMemoryPauseRecord()
    throttle = Throttle(record, draw=lambda: 0.0)
    throttle.throttled(NOON, 40 * S)
    Throttle(record).throttled(NOON + S, 5 * S)
    assert throttle.paused(NOON + 10 * S) == 30 * S
    assert record.until == NOON + 40 * S


def test_a_record_out_of_reach_leaves_each_container_to_its_own_pause():
    record = InMemoryPauseRecord()
    throttle = Throttle(record, draw=lambda: 0.0)
    record.fail_next(ServiceUnavailable(), "read")
    assert throttle.paused(NOON) is None  # not paused as far as anyone knows: call
    record.fail_next(ServiceUnavailable(), "extend")
    throttle.throttled(NOON, 53 * S)
    assert throttle.paused(NOON) == 53 * S  # this container still holds back
    assert record.until is None


# --- the processing service with its throttle ---------------------------------------------


def test_a_429_hands_the_job_back_for_at_least_the_models_hint(world):
    job_id, message = queued(world)
    world.generator.then(throttled(53 * S))
    service = service_with(world, Throttle(world.pauses, draw=lambda: 0.0))
    with pytest.raises(RetryLater) as raised:
        service.process(message)
    assert (raised.value.delay, raised.value.throttled) == (53 * S, True)
    assert world.uow.jobs.get(job_id).status is JobStatus.PROCESSING  # lease handed back


def test_after_a_429_the_container_hands_records_back_without_calling_or_claiming(world):
    _, first = queued(world)
    second_id, second = queued(world)
    world.generator.then(throttled(40 * S))
    service = service_with(world, Throttle(world.pauses, draw=lambda: 0.0))
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
    service = service_with(world, Throttle(world.pauses, draw=lambda: 0.0))
    with pytest.raises(RetryLater):
        service.process(first)
    world.clock.advance(40 * S)
    assert service.process(second).outcome is Outcome.COMPLETED


def test_a_503_is_retried_soon_and_does_not_pause_the_container(world):
    _, first = queued(world)
    _, second = queued(world)
    world.generator.then(TransientGenerationError("503 UNAVAILABLE"))
    service = service_with(world, Throttle(world.pauses, draw=lambda: 0.99))
    with pytest.raises(RetryLater) as raised:
        service.process(first)
    assert 5 * S <= raised.value.delay < 60 * S
    assert not raised.value.throttled
    assert service.process(second).outcome is Outcome.COMPLETED


def test_the_second_retry_waits_longer_than_the_first(world):
    _, message = queued(world)
    world.generator.then(*[TransientGenerationError("503")] * 2)
    service = service_with(world, Throttle(world.pauses, draw=lambda: 0.0))
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
    service = service_with(world, Throttle(world.pauses, draw=lambda: 0.0))
    with pytest.raises(RetryLater):
        service.process(blocker)
    for _ in range(1, 6):  # five refused deliveries, more than MAX_ATTEMPTS
        with pytest.raises(RetryLater):
            service.process(message)
    world.clock.advance(30 * S)
    assert service.process(message).outcome is Outcome.COMPLETED
    assert world.uow.jobs.get(job_id).attempts == 1


def test_the_default_throttle_uses_the_default_schedule():
    throttle = Throttle(InMemoryPauseRecord(), draw=lambda: 0.0)
    assert throttle.retry_delay(1, None) == Backoff().delay(1)
    assert throttle.paused(NOON) is None


def test_a_job_throttled_on_its_last_attempt_is_handed_back_not_failed(world):
    _, message = queued(world)
    world.generator.then(*[throttled(S)] * 3)
    service = service_with(world, Throttle(world.pauses, draw=lambda: 0.0))
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
    service = service_with(world, Throttle(world.pauses, draw=lambda: 0.0))
    for _ in (1, 2):
        with pytest.raises(RetryLater):
            service.process(message)
    assert service.process(message).outcome is Outcome.FAILED
    assert (world.uow.jobs.get(job_id).error.code, used(world)) == ("generation_failed", 0)


def used(world: World) -> int:
    from tests.conftest import ALICE

    return world.queries.get_usage(ALICE).used
