"""Fairness between destinations: the ordinary lane and the slow lane.

Every task shares the workers' queue, and a worker process runs one task at a time
(prefetch 1, acks_late). So the question is how long one task may hold a process, and how
many processes a misbehaving destination may hold at once:

- **One time limit per task in the ordinary lane.** A webhook batch stops at its first
  request that timed out (DELIVERY_WEBHOOK_TIMEOUT_SECONDS): the requests on the wire end
  with it, the events not yet sent are answered `deferred` (the attempt counted at the claim
  is given back and the row is due again at once). A function run may be stopped by the
  runtime's limit (FUNCTIONS_TIMEOUT_MS) once: its unsettled events and the chunks not yet
  run are `deferred` too. Either marks the destination slow (`Destination.slow_until`, for
  DELIVERY_SLOW_SECONDS after its last timeout).
- **A slow destination runs in the slow lane only.** The fan-out task leaves its new rows
  unclaimed and due, as for a paused destination; an ordinary task leased for it before it
  turned slow hands its rows back unattempted; the sweeper dispatches the ordinary lane
  without it. The sweeper gives the slow lane at most DELIVERY_SLOW_LANES tasks at once,
  across every worker and machine (a lane is busy while a slow destination has rows under a
  live lease, renewed by their task while it works, so a killed holder frees its lane when
  its lease expires), each DELIVERY_SLOW_CHUNK_SIZE events (a webhook's whole chunk is on
  the wire at once: one time limit), the destination whose oldest event is due first
  taking the next turn. In the slow lane a function run keeps the "suspect runs alone"
  isolation by halving (functions/runtime/executor.py), bounded by DELIVERY_SLOW_LANE_KILLS
  kills per run: a chunk's timeouts do not multiply by its size. A slow-lane task that
  meets no time limit clears the mark, and the destination is back in the ordinary lane.

So with N worker processes, a hung receiver or a spinning function holds at most the
processes that met it in the ordinary lane before it was marked (each for one time limit)
and then at most DELIVERY_SLOW_LANES of them: another destination's events wait at most
about one time limit, and only while N is not larger than that.

A queue and worker pool of their own for slow destinations was the alternative; it needs
every launcher (make run, make serve, the test and bench fixtures, several machines) to
start and size a second pool, while the lane bound needs nothing but the lease rows the
sweeper already reads. Crash recovery is unchanged: slow-lane rows are leased, renewed and
recovered as any others."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from delivery.ledger.outcomes import Outcome
from delivery.models import DESTINATION_PAUSED, DeliveryStatus, Destination, EventDelivery

SLOW = "slow"
_lane: ContextVar[str] = ContextVar("delivery_lane", default="")
# pg_advisory_xact_lock key of the slow lane's dispatch: two sweeps never both fill it.
_DISPATCH_LOCK = 0x5105_1A4E


@contextmanager
def lane_entered(lane: str) -> Iterator[None]:
    token = _lane.set(lane)
    try:
        yield
    finally:
        _lane.reset(token)


def in_slow_lane() -> bool:
    return _lane.get() == SLOW


def kill_budget() -> int:
    """Kills a function run may spend re-running what a limit stopped, in this lane."""
    return settings.DELIVERY_SLOW_LANE_KILLS if in_slow_lane() else 1


def is_slow(destination: Destination, now: datetime | None = None) -> bool:
    until = destination.slow_until
    return until is not None and until > (now or timezone.now())


def must_wait(destination: Destination) -> bool:
    """This task may not attempt the destination's events: it is paused, or it is slow and
    this is not the slow lane."""
    return destination.is_paused or (is_slow(destination) and not in_slow_lane())


def outcomes_seen(destination: Destination, outcomes: list[Outcome]) -> None:
    """Mark the destination slow after a time limit; a slow-lane run without one clears it."""
    now = timezone.now()
    if any(outcome.timed_out for outcome in outcomes):
        until = now + timedelta(seconds=settings.DELIVERY_SLOW_SECONDS)
        Destination.objects.filter(pk=destination.pk).update(slow_until=until)
        destination.slow_until = until
    elif in_slow_lane() and outcomes and destination.slow_until is not None:
        Destination.objects.filter(pk=destination.pk).update(slow_until=None)
        destination.slow_until = None


def handed_back(token: str) -> int:
    """Hand the rows `token` holds back unattempted, due at once (for the slow lane)."""
    return EventDelivery.objects.filter(lease_token=token, status=DeliveryStatus.RETRYING).update(
        lease_token="", next_attempt_at=timezone.now(), updated_at=timezone.now()
    )


def slow_destination_ids(now: datetime) -> list[str]:
    return list(Destination.objects.filter(slow_until__gt=now).values_list("pk", flat=True))


def slow_lane_turns(now: datetime, slow: list[str]) -> list[tuple[str, list[int]]]:
    """In the sweeper's transaction: the (destination id, row ids) chunks to lease for the
    slow lane's free turns, the destination whose oldest event is due first first."""
    if not slow:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_DISPATCH_LOCK])
    pending = EventDelivery.objects.filter(destination_id__in=slow, status=DeliveryStatus.RETRYING)
    busy = set(
        pending.filter(next_attempt_at__gt=now)
        .exclude(lease_token="")
        .values_list("destination_id", flat=True)
        .distinct()
    )
    free = settings.DELIVERY_SLOW_LANES - len(busy)
    if free <= 0:
        return []
    paused = Destination.objects.filter(DESTINATION_PAUSED).values("pk")
    waiting = (
        pending.filter(next_attempt_at__lte=now)
        .exclude(destination_id__in=busy)
        .exclude(destination_id__in=paused)
        .values("destination_id")
        .annotate(oldest=Min("next_attempt_at"))
        .order_by("oldest")
    )
    turns = []
    for entry in waiting[:free]:
        ids = list(
            EventDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                destination_id=entry["destination_id"],
                status=DeliveryStatus.RETRYING,
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[: settings.DELIVERY_SLOW_CHUNK_SIZE]
        )
        if ids:
            turns.append((entry["destination_id"], ids))
    return turns
