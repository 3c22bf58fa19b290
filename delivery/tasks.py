"""Celery tasks of the pipeline: each takes a batch reference, calls one service, and is safe
to run twice (acks_late with task_reject_on_worker_lost redelivers after a crash)."""

import uuid

from celery import shared_task
from celery.signals import worker_process_init

from delivery.attempts import leased_deliver, outbox_entry_deliver
from delivery.health.alerts import alert_send
from delivery.health.evaluate import health_evaluate
from delivery.ledger.retention import ledger_prune
from delivery.ledger.rollups import rollups_advance
from delivery.publishing import ATTEMPT_DELIVERIES, PROCESS_OUTBOX_ENTRY
from delivery.sweeper import pipeline_sweep
from functions.runtime import warm


@worker_process_init.connect
def _runtime_warmed(**_: object) -> None:
    """Each pool process readies its function runtime as it starts, not in its first task."""
    warm()


@shared_task(name=PROCESS_OUTBOX_ENTRY, acks_late=True, ignore_result=True)
def process_outbox_entry(entry_id: str) -> int:
    """Fan one accepted request's events out and attempt them."""
    return outbox_entry_deliver(entry_id=uuid.UUID(entry_id))


@shared_task(name=ATTEMPT_DELIVERIES, acks_late=True, ignore_result=True)
def attempt_deliveries(destination_id: str, token: str, lane: str = "") -> int:
    """Attempt a batch of one destination's deliveries, leased with `token`, in `lane`
    ("" the ordinary one, "slow": delivery/lanes.py)."""
    return leased_deliver(destination_id=destination_id, token=token, lane=lane)


@shared_task(name="delivery.sweep", acks_late=True, ignore_result=True, expires=30)
def sweep() -> dict[str, int]:
    return pipeline_sweep()


@shared_task(name="delivery.prune_ledger", acks_late=True, ignore_result=True, expires=300)
def prune_ledger() -> dict[str, int]:
    pruned = ledger_prune()
    return {"routine": pruned.routine, "failed": pruned.failed}


@shared_task(name="delivery.connection_health", acks_late=True, ignore_result=True, expires=60)
def connection_health() -> int:
    """Re-evaluate every connection; each state change is alerted once."""
    alerts = health_evaluate()
    for alert in alerts:
        alert_send(alert)
    return len(alerts)


@shared_task(name="delivery.roll_up", acks_late=True, ignore_result=True, expires=300)
def roll_up() -> int:
    """Hourly counts of final hours for Event Delivery's day and week windows."""
    return rollups_advance()
