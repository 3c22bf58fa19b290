"""Running it like production: health and readiness, worker heartbeats, metrics, logs."""
