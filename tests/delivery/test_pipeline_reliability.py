"""Crashes and outages: kill -9 of a worker mid-batch, Redis stopped during ingest."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from delivery.models import DeliveryStatus, EventDelivery, OutboxEntry
from delivery.services import destination_update
from tests.delivery.conftest import (
    ROOT,
    free_port,
    port_open,
    service_env,
    unavailable,
    wait_for,
)
from tests.delivery.helpers import FINAL, basic, post_batch, track, wait_final
from tests.factories import source_factory, webhook_factory
from workspace.audit import SYSTEM

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_kill_9_of_a_worker_mid_batch_still_gives_every_event_one_final_status(
    client, workspace, start_worker, receiver
):
    """With the default 30 s lease: the killed holder stops renewing it, so its events move
    again within one lease; only requests on the wire when it died are sent twice."""
    first = start_worker(
        DELIVERY_WEBHOOK_CONCURRENCY="2",
        DELIVERY_LEASE_SECONDS="30",
        DELIVERY_RECORD_EVERY_SECONDS="0",
    )
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/slow")
    events = track(150)
    assert post_batch(client, source.write_key, events).status_code == 200
    wait_for(lambda: len(receiver.bodies("/slow")) >= 20, what="the batch to be under way")
    first.kill()
    sent_before = len(receiver.bodies("/slow"))
    assert sent_before < 150
    restarted = time.monotonic()
    start_worker(DELIVERY_WEBHOOK_CONCURRENCY="8", DELIVERY_LEASE_SECONDS="30")
    rows = wait_final(150, destination=hook, timeout=60)
    recovery = time.monotonic() - restarted
    assert len(rows) == 150
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    assert len({r.message_id for r in rows}) == 150
    posted = [b["messageId"] for b in receiver.bodies("/slow")]
    assert set(posted) == {r.message_id for r in rows}
    duplicates = len(posted) - len(set(posted))
    # At most the killed sender's connections were on the wire.
    assert duplicates <= 2
    print(f"kill -9: all final {recovery:.1f} s after the restart, {duplicates} duplicates")


def test_a_sender_slower_than_its_lease_posts_every_event_exactly_once(
    client, workspace, start_worker, receiver
):
    start_worker(DELIVERY_WEBHOOK_CONCURRENCY="2", DELIVERY_LEASE_SECONDS="2")
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")

    def take_its_time(handler, body: bytes) -> bool:
        time.sleep(0.4)
        return False

    receiver.on_request = take_its_time
    events = track(30)  # 15 rounds of 0.4 s: three times the lease
    assert post_batch(client, source.write_key, events).status_code == 200
    rows = wait_final(30, destination=hook, timeout=45)
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    posted = [b["messageId"] for b in receiver.bodies("/ok")]
    assert sorted(posted) == sorted(r.message_id for r in rows)


def test_a_429_with_retry_after_is_not_retried_before_it(client, workspace, worker, receiver):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    seen: dict[str, list[float]] = {}

    def busy_once(handler, body: bytes) -> bool:
        times = seen.setdefault(json.loads(body)["messageId"], [])
        times.append(time.monotonic())
        if len(times) > 1:
            return False
        handler.send_response(429)
        handler.send_header("Retry-After", "3")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    receiver.on_request = busy_once
    assert post_batch(client, source.write_key, track(5)).status_code == 200
    rows = wait_final(5, destination=hook, timeout=30)
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    # The fast pipeline's own backoff would retry after 0.5-1 s.
    assert all(len(t) == 2 and t[1] - t[0] >= 3 for t in seen.values())


def test_a_disabled_destination_keeps_its_pending_events_until_enabled(
    client, workspace, worker, receiver
):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    down = True

    def unavailable_while_down(handler, body: bytes) -> bool:
        if not down:
            return False
        handler.send_response(500)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    receiver.on_request = unavailable_while_down
    assert post_batch(client, source.write_key, track(5)).status_code == 200
    wait_for(
        lambda: EventDelivery.objects.filter(destination=hook).exclude(error_type="").count() == 5,
        what="a first failed attempt of every event",
    )
    destination_update(destination=hook, actor=SYSTEM, enabled=False)
    down = False
    time.sleep(5)  # several retries' worth of the fast pipeline's backoff
    assert receiver.bodies("/ok") == []
    waiting = list(EventDelivery.objects.filter(destination=hook))
    assert {r.status for r in waiting} == {DeliveryStatus.RETRYING}
    destination_update(destination=hook, actor=SYSTEM, enabled=True)
    rows = wait_final(5, destination=hook, timeout=30)
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    assert len(receiver.bodies("/ok")) == 5


class OwnRedis:
    """A redis-server of this test only, so stopping it disturbs no one else."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open("127.0.0.1", self.port), 10, "redis-server")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    server = OwnRedis(free_port())
    server.start()
    yield server
    server.kill()


@pytest.fixture
def web_server(pipeline_settings, own_redis, tmp_path):
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    env = service_env(REDIS_URL=f"redis://127.0.0.1:{own_redis.port}/0")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for(lambda: port_open("127.0.0.1", port), 20, "runserver")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


def test_redis_stopped_during_ingest_gives_503_and_loses_no_accepted_event(
    workspace, own_redis, web_server, start_worker, receiver
):
    start_worker(REDIS_URL=f"redis://127.0.0.1:{own_redis.port}/0")
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    answers: dict[str, int] = {}

    def send(n: int) -> None:
        for _ in range(n):
            message_id = str(uuid.uuid4())
            event = track(1, messageId=message_id)[0]
            try:
                response = httpx.post(
                    f"{web_server}/v1/track",
                    json=event,
                    timeout=10,
                    headers={"Authorization": basic(source.write_key)["HTTP_AUTHORIZATION"]},
                )
                answers[message_id] = response.status_code
            except httpx.HTTPError:
                answers[message_id] = 0

    send(10)
    own_redis.kill()
    send(10)
    down = [answers[m] for m in list(answers)[10:]]
    assert set(down) == {503}
    own_redis.start()
    send(10)
    accepted = {m for m, code in answers.items() if code == 200}
    assert len(accepted) == 20
    rows = wait_final(20, destination=hook, timeout=60)
    assert {r.message_id for r in rows} == accepted
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    assert all(r.status in FINAL for r in rows)
    assert not EventDelivery.objects.exclude(message_id__in=accepted).exists()
    assert OutboxEntry.objects.count() == 20


def test_outbox_entry_whose_task_was_lost_is_handed_over_again(workspace, worker, receiver):
    from datetime import timedelta

    from django.utils import timezone

    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    long_ago = timezone.now() - timedelta(minutes=5)
    # As if the broker lost the task right after the request's transaction committed.
    events = [dict(e, type="track", messageId=f"lost-{i}") for i, e in enumerate(track(2))]
    OutboxEntry.objects.create(
        id=uuid.uuid4(), source=source, events=events, created_at=long_ago, dispatched_at=long_ago
    )
    rows = wait_final(2, destination=hook, timeout=20)
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    assert OutboxEntry.objects.get().processed_at is not None


def test_rows_whose_attempts_crashed_every_time_are_failed_not_looped(workspace, pipeline_settings):
    from django.utils import timezone

    from delivery.ledger.rows import deliveries_claim

    hook = webhook_factory(source_factory(workspace), "http://127.0.0.1:9/none")
    EventDelivery.objects.create(
        workspace=workspace,
        destination=hook,
        message_id="poison",
        event_type="track",
        event=track(1)[0],
        attempts=hook.max_attempts,
        lease_token="t1",
        received_at=timezone.now(),
    )
    assert deliveries_claim(destination=hook, token="t1")[0] == []
    row = EventDelivery.objects.get()
    assert row.status == DeliveryStatus.FAILED
    assert row.error_type == "Crashed"


def _process_with_socket(pids: list[int], local_port: int) -> int | None:
    """Which of `pids` owns the TCP connection whose local port is `local_port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return pid
    return None


def test_an_event_that_crashes_its_process_burns_only_its_own_attempts(
    client, workspace, worker, receiver
):
    """The receiver kill -9s the worker process that sends the guilty event, every time it
    is sent, as a handler that crashes its process would."""
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    destination_update(destination=hook, actor=SYSTEM, max_attempts=3)
    crashes = []

    def crash_on_guilty(handler, body: bytes) -> bool:
        if json.loads(body)["messageId"] != "guilty":
            return False
        pool = [
            int(p)
            for p in subprocess.check_output(["pgrep", "-P", str(worker.process.pid)]).split()
        ]
        sender = _process_with_socket(pool, handler.client_address[1])
        assert sender is not None
        crashes.append(sender)
        os.kill(sender, signal.SIGKILL)
        return True

    receiver.on_request = crash_on_guilty
    events = [dict(e, messageId=f"ok-{i}") for i, e in enumerate(track(30))]
    events.insert(10, dict(track(1)[0], messageId="guilty"))
    assert post_batch(client, source.write_key, events).status_code == 200
    rows = {r.message_id: r for r in wait_final(31, destination=hook, timeout=90)}
    guilty = rows.pop("guilty")
    assert guilty.status == DeliveryStatus.FAILED
    assert guilty.error_type == "Crashed"
    assert guilty.attempts == 3
    assert len(crashes) == 3  # one per attempt it was given
    assert {r.status for r in rows.values()} == {DeliveryStatus.DELIVERED}
    # The others burn at most two attempts: one in the batch that crashed, and one alone for
    # those whose answer was not recorded when the process died. An answer recorded before
    # (the batch records as it goes: DELIVERY_RECORD_EVERY_SECONDS) leaves one; the batch's
    # requests are sent DELIVERY_WEBHOOK_CONCURRENCY at a time, so which ones depends on
    # when the guilty event was sent. None is posted more often than it was attempted.
    posts: dict[str, int] = {}
    for body in receiver.bodies("/ok"):
        posts[body["messageId"]] = posts.get(body["messageId"], 0) + 1
    assert {r.attempts for r in rows.values()} <= {1, 2}
    assert all(1 <= posts.get(m, 0) <= r.attempts for m, r in rows.items())
