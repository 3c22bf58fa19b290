"""The official clients, unchanged, against a live server with a real worker: the Public API
SDK (@segment/public-api-sdk-typescript) and the tracking libraries (segment-analytics-python,
@segment/analytics-node), installed pinned by `make install` (tests/clients/, pyproject)."""

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.delivery.conftest import unavailable, wait_for
from tests.delivery.helpers import basic
from tests.factories import source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.services import api_token_create

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
SKEW = timedelta(hours=1)  # the device clock of the python sender runs an hour fast


def run_node(script: str, stdin: Any = None, **env: str) -> dict[str, Any]:
    """Run a script of tests/clients with `node`; its stdout is one JSON object."""
    if shutil.which("node") is None or not (CLIENTS / "node_modules").is_dir():
        unavailable("the client tests need node and tests/clients/node_modules (make install)")
    completed = subprocess.run(
        ["node", script],
        cwd=CLIENTS,
        env=dict(os.environ, **env),
        input=json.dumps(stdin) if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture
def owner_token(workspace) -> str:
    return api_token_create(workspace=workspace, name="sdk", role="owner", actor=SYSTEM)[1]


def test_public_api_sdk_runs_its_surface_unchanged(
    live_server, pipeline_settings, workspace, owner_token, receiver
):
    out = run_node(
        "sdk_surface.js",
        BASE_URL=f"{live_server.url}/api",
        TOKEN=owner_token,
        RECEIVER_URL=f"{receiver.url}/ok",
    )
    failed = [c for c in out["calls"] if c["problems"] or not 200 <= (c["status"] or 0) < 300]
    assert failed == []
    assert len(out["calls"]) == 34
    values = out["values"]
    source = values["source"]
    assert (source["slug"], source["metadata"]["id"]) == ("sdk-app", "IqDTy1TpoU")
    assert len(source["writeKeys"]) == 1 and source["labels"] == []
    assert values["trackingPlanId"] is None
    assert values["functionsSOURCE"] == []
    assert len(values["functionsDESTINATION"]) == len(values["functionsINSERT_DESTINATION"]) == 1
    metadata = values["functionDestinationMetadata"]
    assert metadata["name"] == "SDK destination"
    assert metadata["logos"]["default"] == "https://cdn.example.com/sdk.png"
    assert [o["name"] for o in metadata["options"]] == ["apiKey"]
    assert values["functionDestinationSettings"] == {"apiKey": "••••••••••6789"}
    assert values["webhookMetadata"]["id"] == "webhook"
    assert values["catalogIds"] == ["webhook", metadata["id"]]
    assert values["deployedVersions"] and all(
        isinstance(d, str) for d in values["deployedVersions"]
    )
    assert values["auditActorEmails"] == ["string"]
    assert values["uncovered"] == {"type": "NotFound", "message": "Resource not found"}


def _post_raw_batch(url: str, write_key: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/v1/batch",
        data=json.dumps({"batch": events}).encode(),
        headers={"Content-Type": "application/json", **_auth(write_key)},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # loopback live server
        return {"status": response.status, **json.loads(response.read())}


def _auth(write_key: str) -> dict[str, str]:
    return {"Authorization": basic(write_key)["HTTP_AUTHORIZATION"]}


class FastClock(datetime):
    """datetime whose now() is SKEW ahead: the python library's sentAt clock."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        return datetime.now(tz) + SKEW


@pytest.fixture
def fast_python_clock(monkeypatch) -> Iterator[None]:
    from segment.analytics import request as segment_request

    monkeypatch.setattr(segment_request, "datetime", FastClock)
    yield
    # The library keeps one keep-alive session; closed, the live server's request thread
    # ends and lets go of its database connection before the test database is dropped.
    segment_request._session.close()


def _python_sends(url: str, write_key: str) -> dict[str, Any]:
    from segment.analytics import Client

    client = Client(write_key, host=url, gzip=True, sync_mode=True)
    device_time = datetime.now().astimezone() + SKEW - timedelta(seconds=10)
    sent = {
        "py-track": client.track(
            user_id="u-py",
            event="Python Gzip",
            properties={"cjk": "漢字" * 2_000, "emoji": "😀🎉"},
            timestamp=device_time,
            message_id="py-track",
        ),
        "py-identify": client.identify("u-py", {"name": "Zoë"}, message_id="py-identify"),
        "py-page": client.page("u-py", name="Home", message_id="py-page"),
        "py-screen": client.screen("u-py", name="Main", message_id="py-screen"),
        "py-group": client.group("u-py", "g1", {"plan": "pro"}, message_id="py-group"),
        "py-alias": client.alias("u-old", "u-py", message_id="py-alias"),
    }
    assert all(ok for ok, _ in sent.values())
    return {"device_time": device_time, "track": sent["py-track"][1]}


REFUSED_SCRIPT = """
import json, sys
from segment.analytics import Client
from segment.analytics.request import APIError
try:
    Client(sys.argv[2], host=sys.argv[1], gzip=True, sync_mode=True).track("u", "Refused")
    print(json.dumps(None))
except APIError as error:
    print(json.dumps({"status": error.status, "code": error.code, "message": error.message}))
"""


def _python_refused(url: str, write_key: str) -> dict[str, Any]:
    """What analytics-python makes of a refusal (its own process: an APIError keeps the
    keep-alive socket, and with it a live server thread and its database session, open)."""
    completed = subprocess.run(
        [sys.executable, "-c", REFUSED_SCRIPT, url, write_key],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout)


def test_tracking_libraries_deliver_through_a_worker(
    live_server, workspace, worker, receiver, owner_token, fast_python_clock
):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    url = live_server.url

    python = _python_sends(url, source.write_key)
    node_calls = [
        ["track", {"userId": "u-js", "event": "CJK", "messageId": "js-cjk",
                   "properties": {"text": "漢" * 10_000}}],
        ["track", {"userId": "u-js", "event": "Emoji", "messageId": "js-emoji",
                   "properties": {"text": "😀" * 7_000}}],
        ["identify", {"userId": "u-js", "traits": {"name": "Jürgen"}, "messageId": "js-identify"}],
        ["page", {"userId": "u-js", "name": "Home", "messageId": "js-page"}],
        ["screen", {"userId": "u-js", "name": "Main", "messageId": "js-screen"}],
        ["group", {"userId": "u-js", "groupId": "g1", "messageId": "js-group"}],
        ["alias", {"userId": "u-js", "previousId": "u-old", "messageId": "js-alias"}],
    ]  # fmt: skip
    node = run_node("track_node.js", node_calls, HOST=url, WRITE_KEY=source.write_key)
    assert node["errors"] == [] and node["statuses"] and set(node["statuses"]) == {200}

    raw = [
        {"type": "track", "event": "Small", "userId": "u-raw", "messageId": "raw-0"},
        {"type": "track", "event": "Huge", "userId": "u-raw", "messageId": "raw-1",
         "properties": {"blob": "x" * 33_000}},
        {"type": "track", "event": "Small", "userId": "u-raw", "messageId": "raw-2"},
    ]  # fmt: skip
    answer = _post_raw_batch(url, source.write_key, raw)
    assert answer["status"] == 200 and [r["index"] for r in answer["refused"]] == [1]

    refused = _python_refused(url, "not-a-write-key")
    assert (refused["status"], refused["code"]) == (401, "unauthorized")
    assert "write key" in refused["message"]

    expected = {"py-track", "py-identify", "py-page", "py-screen", "py-group", "py-alias"}
    expected |= {call[1]["messageId"] for call in node_calls} | {"raw-0", "raw-2"}

    def arrived() -> dict[str, list[dict[str, Any]]]:
        events: dict[str, list[dict[str, Any]]] = {}
        for body in receiver.bodies("/ok"):
            events.setdefault(body["messageId"], []).append(body)
        return events if set(events) >= expected else {}

    events = wait_for(arrived, timeout=60, what="every event at the webhook")
    assert set(events) == expected  # the oversized raw-1 never left the server
    assert {len(copies) for copies in events.values()} == {1}
    assert events["js-cjk"][0]["properties"]["text"] == "漢" * 10_000
    assert events["js-emoji"][0]["properties"]["text"] == "😀" * 7_000
    assert events["py-track"][0]["properties"] == {"cjk": "漢字" * 2_000, "emoji": "😀🎉"}
    assert events["py-identify"][0]["traits"] == {"name": "Zoë"}

    track = events["py-track"][0]
    assert datetime.fromisoformat(track["originalTimestamp"]) == python["device_time"].replace(
        microsecond=python["device_time"].microsecond // 1000 * 1000
    )
    corrected = datetime.fromisoformat(track["timestamp"])
    received = datetime.fromisoformat(track["receivedAt"])
    # timestamp = receivedAt - (sentAt - originalTimestamp): 10 s before arrival, not an hour
    # in the future as the device said.
    assert abs((received - corrected) - timedelta(seconds=10)) < timedelta(seconds=3)

    read = run_node(
        "sdk_read.js",
        BASE_URL=f"{url}/api",
        TOKEN=owner_token,
        SOURCE_ID=source.id,
        DESTINATION_ID=hook.id,
    )
    assert read["problems"] == []
    assert read["writeKeys"] == [source.write_key]
    assert read["metrics"].get("delivered") == len(expected)
