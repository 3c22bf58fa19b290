"""The pipeline's Celery tasks, published by name: the stages that hand work on (the outbox,
the sweep) never import `delivery.tasks`, which imports them, so `tasks` stays the top of
the import graph and nothing imports it but the worker."""

from typing import Any

from celery import signature

PROCESS_OUTBOX_ENTRY = "delivery.process_outbox_entry"
ATTEMPT_DELIVERIES = "delivery.attempt_deliveries"


def task_publish(name: str, *args: str, **options: Any) -> None:
    """Publish task `name` with `args`; a task registered in this process is sent with its own
    options (and run inline under CELERY_TASK_ALWAYS_EAGER), else by name to the broker."""
    signature(name, args=args).apply_async(**options)
