"""Runtime limits, read from the environment on every run (no Django needed)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class RuntimeConfig:
    timeout_ms: int
    memory_mb: int
    allow_private_fetch: bool
    max_fetches: int
    fetch_concurrency: int
    max_response_bytes: int
    connect_timeout_s: float
    read_timeout_s: float
    log_limit_bytes: int
    warm_contexts: int
    contexts_per_version: int
    pool_size: int
    prewarmed_contexts: int


def load_config() -> RuntimeConfig:
    return RuntimeConfig(
        timeout_ms=_int("FUNCTIONS_TIMEOUT_MS", 5000),
        memory_mb=_int("FUNCTIONS_MEMORY_MB", 128),
        allow_private_fetch=_flag("FUNCTIONS_ALLOW_PRIVATE_FETCH"),
        max_fetches=_int("FUNCTIONS_MAX_FETCHES", 50),
        fetch_concurrency=_int("FUNCTIONS_FETCH_CONCURRENCY", 20),
        max_response_bytes=_int("FUNCTIONS_MAX_RESPONSE_BYTES", 5 * 1024 * 1024),
        connect_timeout_s=_int("FUNCTIONS_CONNECT_TIMEOUT_MS", 5000) / 1000,
        read_timeout_s=_int("FUNCTIONS_READ_TIMEOUT_MS", 10000) / 1000,
        # The product's tester shows 4 KB of console output.
        log_limit_bytes=_int("FUNCTIONS_LOG_LIMIT_BYTES", 4096),
        warm_contexts=_int("FUNCTIONS_WARM_CONTEXTS", 32),
        # Like the product's containers: each context runs one invocation at a time, so
        # a batch overlaps its events' I/O over up to this many contexts of its version.
        contexts_per_version=_int("FUNCTIONS_CONTEXTS_PER_VERSION", 8),
        pool_size=_int("FUNCTIONS_POOL_SIZE", 2),
        # Blank contexts (prelude loaded, no user code) kept ready for new function
        # versions, so a cold start skips building a context and its prelude.
        prewarmed_contexts=_int("FUNCTIONS_PREWARMED_CONTEXTS", 2),
    )
