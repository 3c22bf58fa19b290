"""Public API for sources and destinations (webhooks and destination function instances)."""
