"""Attempting deliveries: claim the rows of a lease token, run the destination's pipeline once
for the whole batch, record every outcome in one bulk write."""

import uuid

from django.db import transaction
from django.utils import timezone

from delivery.leases import lease_kept
from delivery.ledger import (
    deliveries_claim,
    deliveries_record,
    deliveries_release,
    lease_token_new,
    lease_until,
    suspect_attempt_count,
)
from delivery.models import DeliveryStatus, Destination, EventDelivery
from delivery.outbox import batch_size_of, destinations_loaded, outbox_process
from delivery.pipeline import deliver_events
from workspace.operations.logs import deliveries_logged
from workspace.operations.metrics import deliveries_counted


def _function_id(destination: Destination) -> str | None:
    """The function that handled the batch: the destination function, else the insert one."""
    instance = destination.function_instance or getattr(destination, "insert_instance", None)
    return instance.function_id if instance is not None else None


def claimed_attempt(*, destination: Destination, rows: list[EventDelivery], token: str) -> int:
    """Run the pipeline once for `rows`, already claimed under `token`; record the outcomes."""
    if rows:
        outcomes = deliver_events(destination, [row.event for row in rows])
        deliveries_record(destination=destination, rows=rows, outcomes=outcomes, token=token)
        deliveries_counted(kind=destination.kind, statuses=[row.status for row in rows])
        deliveries_logged(
            workspace_id=destination.workspace_id,
            destination_id=destination.pk,
            function_id=_function_id(destination),
            outcomes=[(row.message_id, row.status) for row in rows],
        )
    return len(rows)


def deliveries_attempt(*, destination: Destination, token: str) -> int:
    """Attempt the rows leased with `token`; returns how many were attempted."""
    claim = deliveries_claim(destination=destination, token=token)
    with lease_kept(claim.token):
        attempted = claimed_attempt(destination=destination, rows=claim.rows, token=claim.token)
        for row in claim.suspects:
            if suspect_attempt_count(row, claim.token):
                attempted += claimed_attempt(destination=destination, rows=[row], token=claim.token)
    return attempted


def lease_rows(ids: list[int]) -> str:
    token = lease_token_new()
    EventDelivery.objects.filter(pk__in=ids).update(
        lease_token=token, next_attempt_at=lease_until(timezone.now())
    )
    return token


def full_batches_flush(destination: Destination) -> int:
    """Attempt the waiting events of an onBatch destination while a full batch is there."""
    size = batch_size_of(destination)
    attempted = 0
    while size is not None:
        with transaction.atomic():
            ids = list(
                EventDelivery.objects.select_for_update(skip_locked=True)
                .filter(
                    destination=destination,
                    status=DeliveryStatus.RETRYING,
                    lease_token="",
                )
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:size]
            )
            if len(ids) < size:
                break
            token = lease_rows(ids)
        attempted += deliveries_attempt(destination=destination, token=token)
    return attempted


def outbox_entry_deliver(*, entry_id: uuid.UUID) -> int:
    fanned = outbox_process(entry_id=entry_id)
    attempted = 0
    # The entry's token holds the rows of every destination until each is attempted.
    with lease_kept(fanned.token if fanned.destinations else ""):
        for destination in fanned.destinations:
            if destination.is_paused:
                continue
            if fanned.claimed is None:
                attempted += deliveries_attempt(destination=destination, token=fanned.token)
            else:
                rows = fanned.claimed[destination.pk]
                attempted += claimed_attempt(destination=destination, rows=rows, token=fanned.token)
            attempted += full_batches_flush(destination)
    return attempted


def leased_deliver(*, destination_id: str, token: str) -> int:
    destination = destinations_loaded().filter(pk=destination_id).first()
    if destination is None:
        return 0
    if destination.is_paused:
        # Paused after the sweeper leased these rows: they wait, unattempted.
        deliveries_release(token=token)
        return 0
    return deliveries_attempt(destination=destination, token=token)
