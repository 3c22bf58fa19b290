"""The retry schedule: randomized, exponential, bounded, over by 4 hours."""

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from delivery.ledger.retry import RETRY_WINDOW, next_attempt_time, retry_delay_cap

START = datetime(2026, 1, 1, tzinfo=UTC)


def schedule(seed: int, max_attempts: int = 9) -> list[datetime]:
    """Attempt times of a delivery that always asks for a retry, with a controlled clock:
    each attempt runs exactly when it is due."""
    rng, now, attempts, times = random.Random(seed), START, 1, [START]
    while (
        at := next_attempt_time(
            attempts=attempts, max_attempts=max_attempts, window_started_at=START, now=now, rng=rng
        )
    ) is not None:
        times.append(at)
        now, attempts = at, attempts + 1
    return times


@pytest.mark.parametrize("seed", range(50))
def test_backoff_is_bounded_by_nine_attempts_and_four_hours(seed):
    times = schedule(seed)
    assert len(times) <= 9
    assert times[-1] - START <= RETRY_WINDOW
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    for attempt, gap in enumerate(gaps, start=1):
        cap = retry_delay_cap(attempt)
        assert cap / 2 <= gap <= cap


def test_backoff_is_exponential_and_randomized():
    caps = [retry_delay_cap(n) for n in range(1, 9)]
    assert all(b == 2 * a for a, b in pairwise(caps))
    firsts = {schedule(seed)[1] for seed in range(20)}
    assert len(firsts) == 20


def test_backoff_uses_all_nine_attempts_inside_the_window():
    assert len(schedule(1)) == 9


def test_backoff_per_destination_override_and_window_end():
    assert len(schedule(3, max_attempts=3)) == 3
    late = START + RETRY_WINDOW - timedelta(seconds=10)
    assert (
        next_attempt_time(
            attempts=2, max_attempts=9, window_started_at=START, now=late, rng=random.Random(0)
        )
        is None
    )


def test_backoff_respects_the_configured_base(settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 60
    assert retry_delay_cap(1) == 60 and retry_delay_cap(3) == 240


def test_backoff_retry_after_is_a_floor_for_the_next_attempt():
    at = next_attempt_time(
        attempts=1, max_attempts=9, window_started_at=START, now=START, retry_after=120
    )
    assert at is not None
    assert at >= START + timedelta(seconds=120)


def test_backoff_retry_after_beyond_the_window_is_capped_at_its_end():
    now = START + timedelta(hours=3)
    at = next_attempt_time(
        attempts=1, max_attempts=9, window_started_at=START, now=now, retry_after=86_400
    )
    assert at == START + RETRY_WINDOW
