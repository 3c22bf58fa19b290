"""Fairness on a real worker (2 processes), Redis and PostgreSQL: a receiver that hangs or a
function that spins delays another destination's events by at most about one time limit
(delivery/lanes.py); paused destinations wait and resume; a receiver down for a minute."""

import json
import threading
import time
from typing import Any

import pytest

from delivery.models import DeliveryStatus, Destination, EventDelivery
from delivery.services import destination_create, destination_update, insert_instance_create
from functions.instances import instance_update
from functions.models import ResourceType
from tests.delivery.conftest import Receiver, free_port, wait_for
from tests.delivery.helpers import post_batch, track, wait_final
from tests.factories import WorkspaceFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class Clock:
    """When each messageId was posted to ingest and first reached the receiver."""

    def __init__(self) -> None:
        self.posted: dict[str, float] = {}
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()

    def post(self, client: Any, write_key: str, events: list[dict[str, Any]]) -> None:
        now = time.monotonic()
        for event in events:
            self.posted[event["messageId"]] = now
        assert post_batch(client, write_key, events).status_code == 200

    def arrive(self, body: bytes) -> None:
        with self.lock:
            self.arrived.setdefault(json.loads(body)["messageId"], time.monotonic())

    def latencies(self, message_ids: list[str]) -> list[float]:
        return sorted(self.arrived[m] - self.posted[m] for m in message_ids)


def _events(prefix: str, n: int, **fields: Any) -> list[dict[str, Any]]:
    return [dict(e, messageId=f"{prefix}-{i}", **fields) for i, e in enumerate(track(n))]


def _healthy_stream(clock: Clock, client: Any, write_key: str, rounds: int) -> list[str]:
    """Two events every 0.3 s to the healthy destination; their message ids."""
    ids = []
    for r in range(rounds):
        events = _events(f"healthy-{r}", 2)
        clock.post(client, write_key, events)
        ids += [e["messageId"] for e in events]
        time.sleep(0.3)
    return ids


def _posts_per_message(receiver: Receiver, path: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for body in receiver.bodies(path):
        counts[body["messageId"]] = counts.get(body["messageId"], 0) + 1
    return counts


def test_a_hung_receiver_delays_another_sources_destination_by_at_most_one_time_limit(
    client, workspace, start_worker, receiver
):
    limit = 2.0
    start_worker(DELIVERY_WEBHOOK_TIMEOUT_SECONDS=str(limit), DELIVERY_SLOW_SECONDS="60")
    hung = webhook_factory(source_factory(workspace, "hung"), f"{receiver.url}/hang")
    healthy_source = source_factory(WorkspaceFactory(), "healthy")
    healthy = webhook_factory(healthy_source, f"{receiver.url}/ok")
    clock, released = Clock(), threading.Event()

    def hang_until_released(handler, body: bytes) -> bool:
        if handler.path == "/hang" and not released.is_set():
            released.wait(60)
            return True  # never answered: the sender's request times out
        if handler.path == "/ok":
            clock.arrive(body)
        return False

    receiver.on_request = hang_until_released
    hung_events = _events("hung", 300)
    for start in range(0, 300, 100):
        clock.post(client, hung.source.write_key, hung_events[start : start + 100])
    ids = _healthy_stream(clock, client, healthy_source.write_key, rounds=30)
    wait_final(len(ids), destination=healthy, timeout=30)
    latencies = clock.latencies(ids)
    assert Destination.objects.get(pk=hung.pk).slow_until is not None
    released.set()
    rows = wait_final(300, destination=hung, timeout=90)
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    healthy_posts = _posts_per_message(receiver, "/ok")
    assert healthy_posts == dict.fromkeys(ids, 1)
    # Answered posts: every hung event exactly once (the unanswered ones were on the wire).
    assert _posts_per_message(receiver, "/hang") == {e["messageId"]: 1 for e in hung_events}
    print(
        f"hung receiver: healthy latency p50 {latencies[len(latencies) // 2]:.2f} s, "
        f"max {latencies[-1]:.2f} s (time limit {limit} s)"
    )
    assert latencies[-1] < limit + 2.5


SPIN_INSERT = """
async function onTrack(event) {
  if (event.properties.spin) { while (true) {} }
  return event
}
"""
PASS_INSERT = """
async function onTrack(event) {
  event.properties.seen = true
  return event
}
"""


def test_a_spinning_function_delays_another_workspaces_function_by_at_most_one_time_limit(
    client, workspace, start_worker, receiver
):
    limit_ms = 1000
    start_worker(FUNCTIONS_TIMEOUT_MS=str(limit_ms), DELIVERY_SLOW_SECONDS="60")
    spinning = webhook_factory(source_factory(workspace, "spin"), f"{receiver.url}/spun")
    destination_update(destination=spinning, actor=SYSTEM, max_attempts=1)
    insert_instance_create(
        function=function_factory(workspace, code=SPIN_INSERT),
        destination=spinning,
        actor=SYSTEM,
        name="spin",
        settings={},
    )
    other = WorkspaceFactory()
    healthy_source = source_factory(other, "healthy")
    healthy = webhook_factory(healthy_source, f"{receiver.url}/ok")
    insert_instance_create(
        function=function_factory(other, code=PASS_INSERT),
        destination=healthy,
        actor=SYSTEM,
        name="pass",
        settings={},
    )
    clock = Clock()

    def timed(handler, body: bytes) -> bool:
        if handler.path == "/ok":
            clock.arrive(body)
        return False

    receiver.on_request = timed
    # 20 events per batch, 2 of each spinning: the ordinary lane stops each at one kill.
    batches = []
    for b in range(2):
        events = _events(f"spin{b}", 20)
        for i in (3, 17):
            events[i]["properties"] = {"spin": True}
        batches.append(events)
        clock.post(client, spinning.source.write_key, events)
    ids = _healthy_stream(clock, client, healthy_source.write_key, rounds=25)
    healthy_rows = wait_final(len(ids), destination=healthy, timeout=30)
    latencies = clock.latencies(ids)
    assert {r.status for r in healthy_rows} == {DeliveryStatus.DELIVERED}
    assert _posts_per_message(receiver, "/ok") == dict.fromkeys(ids, 1)
    rows = {r.message_id: r for r in wait_final(40, destination=spinning, timeout=120)}
    spinners = {
        e["messageId"] for events in batches for e in events if e["properties"] == {"spin": True}
    }
    for message_id, row in rows.items():
        if message_id in spinners:
            assert (row.status, row.error_type, row.attempts) == (
                DeliveryStatus.FAILED,
                "Timeout",
                1,
            ), message_id
        else:
            assert row.status == DeliveryStatus.DELIVERED, (message_id, row.error_message)
    assert _posts_per_message(receiver, "/spun") == dict.fromkeys(set(rows) - spinners, 1)
    print(
        f"spinning function: healthy latency p50 {latencies[len(latencies) // 2]:.2f} s, "
        f"max {latencies[-1]:.2f} s (time limit {limit_ms / 1000} s)"
    )
    assert latencies[-1] < limit_ms / 1000 + 2.5


FORWARD = """
async function onTrack(event, settings) {
  const answer = await fetch(settings.url, {method: "POST", body: JSON.stringify(event)})
  if (!answer.ok) throw new RetryError("receiver answered " + answer.status)
}
"""


def test_a_disabled_destination_function_instance_keeps_its_events_until_enabled(
    client, workspace, worker, receiver
):
    source = source_factory(workspace)
    function = function_factory(
        workspace,
        resource_type=ResourceType.DESTINATION,
        code=FORWARD,
        settings_schema=[{"name": "url", "type": "STRING"}],
    )
    destination = destination_create(
        kind="function",
        workspace=workspace,
        actor=SYSTEM,
        source=source,
        metadata_id=function.id,
        name="forward",
        settings={"url": f"{receiver.url}/fn"},
    )
    down = True
    refused: list[str] = []

    def unavailable_while_down(handler, body: bytes) -> bool:
        if not down:
            return False
        refused.append(json.loads(body)["messageId"])
        handler.send_response(500)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    receiver.on_request = unavailable_while_down
    assert post_batch(client, source.write_key, _events("fn", 5)).status_code == 200
    wait_for(
        lambda: EventDelivery.objects.filter(destination=destination).exclude(error_type="").count()
        == 5,
        what="a first failed attempt of every event",
    )
    assert destination.function_instance is not None
    instance_update(instance=destination.function_instance, actor=SYSTEM, enabled=False)
    tried = len(refused)
    # Posted while disabled: these wait unattempted too.
    assert post_batch(client, source.write_key, _events("later", 3)).status_code == 200
    down = False
    time.sleep(5)  # several retries' worth of the fast pipeline's backoff
    assert len(refused) == tried
    assert receiver.bodies("/fn") == []
    waiting = list(EventDelivery.objects.filter(destination=destination))
    assert len(waiting) == 8
    assert {r.status for r in waiting} == {DeliveryStatus.RETRYING}
    assert {r.attempts for r in waiting if r.message_id.startswith("later")} == {0}
    instance_update(instance=destination.function_instance, actor=SYSTEM, enabled=True)
    rows = wait_final(8, destination=destination, timeout=30)
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    assert _posts_per_message(receiver, "/fn") == {r.message_id: 1 for r in rows}


@pytest.mark.slow
def test_a_receiver_down_for_a_minute_gets_every_event_once_when_it_is_back(
    client, workspace, start_worker
):
    """Nothing listens on the webhook's port for 55 s (connection refused); a backoff of
    8 s doubling to 16 s keeps the 9 attempts going past the outage."""
    start_worker(DELIVERY_RETRY_BASE_SECONDS="8", DELIVERY_RETRY_MAX_SECONDS="16")
    port = free_port()
    hook = webhook_factory(source_factory(workspace), f"http://127.0.0.1:{port}/ok")
    events = _events("down", 20)
    assert post_batch(client, hook.source.write_key, events).status_code == 200
    started = time.monotonic()
    wait_for(
        lambda: EventDelivery.objects.filter(destination=hook, attempts__gte=2).count() == 20,
        timeout=30,
        what="every event retried while the receiver is down",
    )
    time.sleep(max(55 - (time.monotonic() - started), 0))
    receiver = Receiver(port)
    try:
        back = time.monotonic()
        rows = wait_final(20, destination=hook, timeout=40)
        after = time.monotonic() - back
        assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
        assert _posts_per_message(receiver, "/ok") == {e["messageId"]: 1 for e in events}
        attempts = sorted(r.attempts for r in rows)
        print(
            f"receiver down 55 s: all delivered {after:.1f} s after it was back, "
            f"attempts {attempts[0]}-{attempts[-1]}"
        )
    finally:
        receiver.server.shutdown()
