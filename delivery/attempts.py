"""Attempting deliveries: claim the rows of a lease token, run the destination's pipeline once
for the whole batch, record every outcome in one bulk write."""

import contextlib
import time
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from delivery.ingest.outbox import (
    batch_size_of,
    destinations_loaded,
    outbox_process,
    outbox_settled,
)
from delivery.kinds.pipeline import deliver_events
from delivery.lanes import handed_back, in_slow_lane, is_slow, lane_entered, must_wait
from delivery.lanes import outcomes_seen as lane_outcomes_seen
from delivery.ledger.leases import lease_kept
from delivery.ledger.outcomes import Outcome
from delivery.ledger.rows import (
    deliveries_claim,
    deliveries_park,
    deliveries_record,
    deliveries_release,
    lease_token_new,
    lease_until,
    suspect_attempt_count,
)
from delivery.models import DeliveryStatus, Destination, EventDelivery
from workspace.operations.logs import deliveries_logged
from workspace.operations.metrics import deliveries_counted


def _function_id(destination: Destination) -> str | None:
    """The function that handled the batch: the destination function, else the insert one."""
    instance = destination.function_instance or destination.insert_instance
    return instance.function_id if instance is not None else None


def _outcomes_record(
    destination: Destination, rows: list[EventDelivery], outcomes: list[Outcome], token: str
) -> None:
    deliveries_record(destination=destination, rows=rows, outcomes=outcomes, token=token)
    deliveries_counted(kind=destination.kind, statuses=[row.status for row in rows])
    deliveries_logged(
        workspace_id=destination.workspace_id,
        destination_id=destination.pk,
        function_id=_function_id(destination),
        outcomes=[(row.message_id, row.status) for row in rows],
    )


class _Recorder:
    """Records a webhook's outcomes while the batch is still being sent, at most every
    DELIVERY_RECORD_EVERY_SECONDS: a holder killed mid-batch leaves unrecorded (and so
    re-sent) only the requests on the wire and the answers of that last moment, not every
    request since the batch began."""

    def __init__(self, destination: Destination, rows: list[EventDelivery], token: str) -> None:
        self.destination, self.rows, self.token = destination, rows, token
        self.waiting: dict[int, Outcome] = {}
        self.recorded: set[int] = set()
        self.every = settings.DELIVERY_RECORD_EVERY_SECONDS  # read once, not per answer
        self.last = time.monotonic()

    def settled(self, index: int, outcome: Outcome) -> None:
        self.waiting[index] = outcome
        if time.monotonic() - self.last >= self.every:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        indexes = list(self.waiting)
        try:
            _outcomes_record(
                self.destination,
                [self.rows[i] for i in indexes],
                [self.waiting[i] for i in indexes],
                self.token,
            )
        except Exception:
            # Raised inside libcurl's send loop it would leave transfers half-done; the
            # final write records these outcomes again and raises there, outside the loop.
            # A connection the database dropped is closed, so the next write reconnects:
            # once the database is back, the rest of the batch is recorded as it is sent
            # instead of all of it being sent again after the lease ends.
            _connection_dropped()
            return
        self.recorded.update(indexes)
        self.waiting.clear()


def _connection_dropped() -> None:
    if connection.in_atomic_block:
        return
    # A broken connection may fail to close; it is gone anyway.
    with contextlib.suppress(Exception):
        connection.close()


def claimed_attempt(*, destination: Destination, rows: list[EventDelivery], token: str) -> int:
    """Run the pipeline once for `rows`, already claimed under `token`; record the outcomes."""
    if rows:
        recorder = _Recorder(destination, rows, token)
        outcomes = deliver_events(destination, [row.event for row in rows], recorder.settled)
        lane_outcomes_seen(destination, outcomes)
        rest = [i for i in range(len(rows)) if i not in recorder.recorded]
        _outcomes_record(destination, [rows[i] for i in rest], [outcomes[i] for i in rest], token)
    return len(rows)


def deliveries_attempt(*, destination: Destination, token: str, expired_only: bool = False) -> int:
    """Attempt the rows leased with `token`; returns how many were attempted."""
    claim = deliveries_claim(destination=destination, token=token, expired_only=expired_only)
    with lease_kept(claim.token):
        attempted = claimed_attempt(destination=destination, rows=claim.rows, token=claim.token)
        for row in claim.suspects:
            if is_slow(destination) and not in_slow_lane():
                # Timed out just now: the rest, one time limit each, is the slow lane's.
                handed_back(claim.token)
                break
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
    # The entry's token holds the rows of every destination until each is attempted (only
    # by the task that fanned them out: a later one renews nothing it did not claim).
    with lease_kept(fanned.token if fanned.claimed else ""):
        for destination in fanned.destinations:
            if must_wait(destination):
                # Paused, or slow: its rows were left unclaimed (or are due again once
                # this task's lease ends) for when it resumes, or for the slow lane; the
                # rows this task held unwritten are written to wait likewise.
                if fanned.claimed:
                    deliveries_park(fanned.claimed[destination.pk])
                continue
            if fanned.claimed is None:
                # The entry's task ran before (a re-published or redelivered task): its rows
                # may still be in the hands of that task, alive and renewing their lease.
                attempted += deliveries_attempt(
                    destination=destination, token=fanned.token, expired_only=True
                )
            else:
                rows = fanned.claimed[destination.pk]
                attempted += claimed_attempt(destination=destination, rows=rows, token=fanned.token)
            attempted += full_batches_flush(destination)
    if fanned.claimed is not None:
        outbox_settled(entry_id, fanned.session)
    return attempted


def leased_deliver(*, destination_id: str, token: str, lane: str = "") -> int:
    destination = destinations_loaded().filter(pk=destination_id).first()
    if destination is None:
        return 0
    with lane_entered(lane):
        if destination.is_paused:
            # Paused after the sweeper leased these rows: they wait, unattempted.
            deliveries_release(token=token)
            return 0
        if must_wait(destination):
            # Turned slow after the sweeper leased these rows: the slow lane takes them.
            handed_back(token)
            return 0
        return deliveries_attempt(destination=destination, token=token)
