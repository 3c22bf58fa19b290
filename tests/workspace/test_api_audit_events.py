"""GET /api/audit-events: newest first, filters, pagination, owners only."""

from datetime import timedelta

from django.utils import timezone

from tests.api_client import api_for, error_of
from tests.factories import WorkspaceFactory, function_factory


def test_audit_events_newest_first_with_shape(api, workspace):
    api.post("sources", {"name": "web"})
    api.post("sources", {"name": "app"})
    events = api.get("audit-events", resourceType="SOURCE").json()["data"]["events"]
    assert [e["resourceName"] for e in events] == ["app", "web"]
    assert set(events[0]) >= {
        "id",
        "timestamp",
        "type",
        "actor",
        "actorEmail",
        "resourceId",
        "resourceType",
        "resourceName",
    }
    assert events[0]["type"] == "Source Created" and events[0]["actor"] == "token:owner token"
    assert events[0]["actorEmail"] == ""  # a string, as the SDK types it; tokens have no email


def test_audit_events_filters(api, workspace):
    function = function_factory(workspace)
    api.patch(f"functions/{function.api_id}", {"description": "d"})
    by_id = api.get("audit-events", resourceId=function.api_id).json()["data"]["events"]
    assert [e["type"] for e in by_id] == ["Function Updated", "Function Created"]
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert api.get("audit-events", startTime=future).json()["data"]["events"] == []
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    assert api.get("audit-events", endTime=past).json()["data"]["events"] == []


def test_audit_events_bad_filters(api):
    response = api.get("audit-events", startTime="yesterday")
    assert response.status_code == 422 and error_of(response)["field"] == "startTime"
    response = api.get("audit-events", **{"pagination[count]": 0})
    assert error_of(response)["field"] == "pagination.count"


def test_audit_events_are_per_workspace_and_owner_only(api, workspace):
    api.post("sources", {"name": "web"})
    other = api_for(WorkspaceFactory(), "owner")
    assert all(
        e["resourceName"] != "web" for e in other.get("audit-events").json()["data"]["events"]
    )
    assert api_for(workspace, "functions_admin").get("audit-events").status_code == 403
