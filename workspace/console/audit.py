"""The Audit Trail page: the append-only trail of the workspace, filtered, with readable
diffs. Read-only by construction: this view has no write path at all."""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime

from workspace.audit_diff import readable_diff
from workspace.console.shell import console_render, console_view
from workspace.models import AuditEvent
from workspace.permissions import Action, require
from workspace.queries import audit_events_list

PAGE = 50


def _when(value: str) -> datetime | None:
    try:
        return parse_datetime(value) if value else None
    except ValueError:
        return None


@console_view
def audit_trail(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    require(request.user, Action.AUDIT_VIEW, workspace)
    query = request.GET
    events = audit_events_list(
        workspace=workspace,
        start_time=_when(query.get("start", "")),
        end_time=_when(query.get("end", "")),
        resource_id=query.get("resource_id", "")[:64],
        resource_type=query.get("resource_type", "")[:64],
        actor=query.get("actor", "")[:200],
        action=query.get("action", "")[:100],
    )
    before = query.get("before", "")
    if before.isdigit():
        events = events.filter(id__lt=int(before))
    page = list(events[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    trail = AuditEvent.objects.filter(workspace=workspace)
    return console_render(
        request,
        "console/audit.html",
        {
            "title": "Audit Trail",
            "nav": "audit",
            "entries": [(event, readable_diff(event.diff)) for event in page],
            "next_before": page[-1].pk if more and page else None,
            "filters": {
                k: query.get(k, "")
                for k in ("actor", "action", "resource_type", "resource_id", "start", "end")
            },
            "actors": trail.order_by("actor").values_list("actor", flat=True).distinct()[:200],
            "actions": trail.order_by("action").values_list("action", flat=True).distinct()[:200],
            "resource_types": trail.order_by("resource_type")
            .values_list("resource_type", flat=True)
            .distinct()[:100],
        },
    )
