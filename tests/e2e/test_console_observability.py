"""Event Delivery, Connection Health and the Audit Trail in Chromium, on data the pipeline
made (a real worker on PostgreSQL and Redis): as the superuser owner `make run` prints and as
a Functions Read-only member."""

import os
from pathlib import Path

import pytest

from delivery.health.evaluate import health_evaluate
from delivery.models import EventDelivery
from delivery.services import insert_instance_create
from tests.delivery.conftest import (  # noqa: F401 (fixtures)
    Receiver,
    pipeline_settings,
    receiver,
    start_worker,
    wait_for,
)
from tests.delivery.helpers import post_batch, wait_final
from tests.e2e.test_console_authoring import login, person
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SECRET = "sk_live_observability_4242"
CODE = """
async function onTrack(event, settings) {
  if (event.properties.bad) throw new ValidationError('bad event ' + event.properties.n)
  if (event.properties.boom) throw new Error('boom in handler')
  console.log('key ends with', settings.apiKey.slice(-4))
  return event
}
"""


def shot(page, name):
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def pipeline(workspace, start_worker, receiver):  # noqa: F811 (the imported fixtures)
    start_worker()
    source = source_factory(workspace, "Website")
    hook = webhook_factory(source, f"{receiver.url}/ok")
    function = function_factory(
        workspace,
        display_name="Validate orders",
        code=CODE,
        settings_schema=[
            {
                "name": "apiKey",
                "label": "API key",
                "description": "",
                "type": "STRING",
                "required": True,
                "sensitive": True,
            },
        ],
    )
    insert_instance_create(
        function=function,
        destination=hook,
        actor=SYSTEM,
        name="Validate",
        settings={"apiKey": SECRET},
    )
    events = [
        {
            "type": "track",
            "event": "Order",
            "userId": f"u{n}",
            "properties": {"n": n, "bad": n in (1, 2), "boom": n == 3},
        }
        for n in range(10)
    ]
    return hook, events


def test_event_delivery_health_and_audit_as_owner_and_readonly(
    client, workspace, pipeline, live_server, page, browser
):
    hook, events = pipeline
    assert post_batch(client, hook.source.write_key, events).status_code == 200
    wait_final(10, destination=hook, timeout=60)
    health_evaluate()
    person(workspace, "root@acme.test", superuser=True)
    login(page, live_server, "root@acme.test")
    base = f"{live_server.url}/admin/w/{workspace.slug}"

    page.goto(f"{base}/destinations/{hook.pk}/event-delivery/")
    overview = page.get_by_role("region", name="Delivery overview")
    assert "10" in overview.inner_text() and "30%" in overview.inner_text()
    page.wait_for_selector(".console-chart canvas")
    failures = page.get_by_role("region", name="Failures")
    assert "bad event" in failures.inner_text() and "boom in handler" in failures.inner_text()
    shot(page, "event-delivery")
    failures.get_by_role("link", name="boom in handler").click()
    rows = page.get_by_role("region", name="Deliveries").locator("tbody tr")
    assert rows.count() == 1
    rows.first.get_by_role("link").click()
    assert "boom in handler" in page.content()
    assert SECRET not in page.content()
    page.go_back()
    page.get_by_role("button", name="Replay all failed in the last hour").click()
    assert "1 delivery will be sent again" in page.inner_text("main")
    assert "rejected by the destination" in page.inner_text("main")
    # Ticking the box reloads the preview: wait for the new page, not the old one's load.
    with page.expect_navigation():
        page.get_by_label("Replay rejected messages too").check()
    assert "3 deliveries will be sent again" in page.inner_text("main")
    page.get_by_role("button", name="Replay 3").click()
    assert "3 deliveries sent again" in page.inner_text("body")
    # The outcome appears: the pipeline runs them again through the current version.
    wait_for(
        lambda: not EventDelivery.objects.filter(destination=hook, status="retrying").exists(),
        60,
        "the replayed events to be final again",
    )
    page.reload()
    assert EventDelivery.objects.filter(destination=hook).exclude(status="retrying").count() == 10

    page.goto(f"{base}/health/")
    table = page.get_by_role("region", name="Connections")
    assert "Website" in table.inner_text() and "degraded" in table.inner_text().lower()
    shot(page, "connection-health")

    page.goto(f"{base}/audit/")
    assert "Event Deliveries Replayed" in page.inner_text("main")
    assert SECRET not in page.content()

    reader_context = browser.new_context()
    reader = reader_context.new_page()
    person(workspace, "reader@acme.test", role=Role.FUNCTIONS_READONLY)
    login(reader, live_server, "reader@acme.test")
    reader.goto(f"{base}/destinations/{hook.pk}/event-delivery/")
    assert "boom in handler" in reader.content()
    assert reader.get_by_role("button", name="Replay selected").count() == 0
    assert SECRET not in reader.content()
    response = reader.goto(f"{base}/destinations/{hook.pk}/event-delivery/replay/")
    assert response.status == 403
    reader.goto(f"{base}/health/")
    assert "Website" in reader.inner_text("main") and "Alert webhook" not in reader.content()
    assert reader.goto(f"{base}/audit/").status == 403
    reader_context.close()
