"""When to try a delivery again: randomized exponential backoff inside a 4-hour window."""

import random
from datetime import datetime, timedelta

from django.conf import settings

RETRY_WINDOW = timedelta(hours=4)
MAX_ATTEMPTS = 9


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
) -> datetime | None:
    """When to run attempt `attempts + 1`, or None when the delivery has to give up.

    The wait is drawn from [cap/2, cap] ("equal jitter"), so retry waves spread out while
    the schedule stays exponential; nothing is scheduled past the 4-hour window.
    """
    if attempts >= min(max_attempts, MAX_ATTEMPTS):
        return None
    cap = retry_delay_cap(attempts)
    at = now + timedelta(seconds=(rng or random).uniform(cap / 2, cap))
    if at > window_started_at + RETRY_WINDOW:
        return None
    return at
