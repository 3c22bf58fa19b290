"""Per-token rate limit over a fixed window, reported on every answer as the reference does:
`X-RateLimit-Consumed`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (RFC 5322 date).
The rate is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"], e.g. "1200/min"."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    consumed: int
    reset_at: float

    @property
    def headers(self) -> dict[str, str]:
        reset = datetime.fromtimestamp(self.reset_at, tz=UTC)
        return {
            "X-RateLimit-Consumed": str(self.consumed),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.consumed)),
            "X-RateLimit-Reset": format_datetime(reset, usegmt=True),
        }


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[:1].lower()]


class TokenRateThrottle(BaseThrottle):
    scope = "api"

    def allow_request(self, request: Any, view: Any) -> bool:
        rate = (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope)
        if not rate:
            return True
        # The stubs type the rates as numbers; DRF's are "count/period" strings.
        limit, period = parse_rate(rate)  # type: ignore[arg-type]
        now = time.time()
        window = int(now // period)
        ident = request.auth.id if request.auth is not None else self.get_ident(request)
        key = f"api-rate:{ident}:{window}"
        cache.add(key, 0, period + 1)
        consumed = cache.incr(key)
        self.state = RateLimitState(limit=limit, consumed=consumed, reset_at=(window + 1) * period)
        request.rate_limit = self.state
        return consumed <= limit

    def wait(self) -> float | None:
        return max(0.0, self.state.reset_at - time.time())
