"""The whole retry policy: which outcomes are tried again (the runtime's `retry` and
`timeout`, a webhook's 429, 5xx and network errors), when (randomized exponential backoff
inside a 4-hour window, a receiver's Retry-After on 429/503 as a floor) and how often (at most
MAX_ATTEMPTS attempts, per destination from MIN_ATTEMPTS to MAX_ATTEMPTS)."""

import random
from datetime import datetime, timedelta

from django.conf import settings

RETRY_WINDOW = timedelta(hours=4)
MIN_ATTEMPTS, MAX_ATTEMPTS = 1, 9
# Outcome statuses (the runtime's vocabulary) that ask for another attempt.
RETRYABLE = frozenset({"retry", "timeout"})
# HTTP answers of a receiver that are tried again, and those whose Retry-After is honoured.
RETRY_AFTER_CODES = (429, 503)


def http_retryable(code: int) -> bool:
    """A receiver's answer that is tried again: 429 (too many requests) and every 5xx."""
    return code == 429 or code >= 500


def retry_delay_cap(attempts: int) -> float:
    """The longest wait after `attempts` tries: base, 2x base, 4x base, ... (capped)."""
    base = settings.DELIVERY_RETRY_BASE_SECONDS
    return float(min(base * 2 ** max(attempts - 1, 0), settings.DELIVERY_RETRY_MAX_SECONDS))


def next_attempt_time(
    *,
    attempts: int,
    max_attempts: int,
    window_started_at: datetime,
    now: datetime,
    rng: random.Random | None = None,
    retry_after: float | None = None,
) -> datetime | None:
    """When to run attempt `attempts + 1`, or None when the delivery has to give up.

    The wait is drawn from [cap/2, cap] ("equal jitter"), so retry waves spread out while
    the schedule stays exponential; nothing is scheduled past the 4-hour window.
    `retry_after` (seconds, the receiver's Retry-After) delays the attempt to at least then.
    """
    if attempts >= min(max_attempts, MAX_ATTEMPTS):
        return None
    cap = retry_delay_cap(attempts)
    at = now + timedelta(seconds=(rng or random).uniform(cap / 2, cap))
    window_end = window_started_at + RETRY_WINDOW
    if at > window_end:
        return None
    if retry_after is not None:
        # The receiver's Retry-After is a floor; past the window's end, the last attempt
        # is at the end rather than none at all.
        at = min(max(at, now + timedelta(seconds=retry_after)), window_end)
    return at
