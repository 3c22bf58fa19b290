"""Event Delivery: per destination, counts per status over time, the failures that matter,
the deliveries themselves, one delivery's story, and replay."""

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from delivery.console import deliveries_view as view
from delivery.models import DeliveryStatus, Destination, EventDelivery
from delivery.queries import (
    delivery_metrics,
    error_rate,
    event_deliveries,
    failure_breakdown,
    status_totals,
)
from delivery.replay import deliveries_replay_chosen, replay_preview
from workspace.audit import Actor
from workspace.console.shell import console_render, console_view, current_workspace
from workspace.errors import NotFound
from workspace.permissions import Action, can, require

BODY_LIMIT = 10_000
EVENT_TYPES = ("track", "identify", "page", "screen", "group", "alias", "delete")


def destination_in(request: HttpRequest, destination_id: str, action: Action) -> Destination:
    workspace = current_workspace(request)
    destination = (
        Destination.objects.select_related("source", "function_instance__function")
        .filter(workspace=workspace, pk=destination_id[:64])
        .first()
    )
    if destination is None:
        raise NotFound("Resource not found")
    require(request.user, action, workspace, destination)
    return destination


def _page_url(destination: Destination, name: str = "console-event-delivery") -> str:
    return reverse(
        f"admin:{name}",
        kwargs={"slug": destination.workspace.slug, "destination_id": destination.pk},
    )


@console_view
def event_delivery(request: HttpRequest, destination_id: str) -> HttpResponse:
    destination = destination_in(request, destination_id, Action.DELIVERIES_VIEW)
    window = view.window_of(request.GET)
    metrics = delivery_metrics(
        destination=destination,
        start=window.start,
        end=window.end,
        granularity=window.granularity,
    )
    totals = status_totals(metrics)
    filters = view.list_filters(request.GET)
    start, end = view.time_range(filters)
    rows = event_deliveries(
        destination=destination,
        status=filters["status"] or None,
        start=start,
        end=end,
        error_type=filters["error_type"],
        error_message=filters["error_message"],
        event_type=filters["event_type"],
        search=filters["q"],
    )
    if request.GET.get("cursor"):
        rows = view.after_cursor(rows, request.GET["cursor"])
    page = list(rows[: view.PAGE + 1])
    more = len(page) > view.PAGE
    page = page[: view.PAGE]
    return console_render(
        request,
        "console/delivery/event_delivery.html",
        {
            "title": f"Event Delivery · {destination.name}",
            "nav": "destinations",
            "destination": destination,
            "window": window,
            "windows": list(view.WINDOWS),
            "chart": view.chart_series(metrics, window),
            "totals": {k: v for k, v in totals.items() if v},
            "total": sum(totals.values()),
            "error_rate": error_rate(totals),
            "breakdown": failure_breakdown(
                destination=destination, start=window.start, end=window.end
            ),
            "filters": filters,
            "statuses": list(status_totals([])),
            "event_types": EVENT_TYPES,
            "deliveries": page,
            "next_cursor": view.encode_cursor(page[-1]) if more and page else "",
            "may_replay": can(
                request.user, Action.DELIVERIES_REPLAY, current_workspace(request), destination
            ),
            # A function's member may read its deliveries without seeing the destination
            # (a Source Admin's): no link to a page that answers 403.
            "may_view_destination": can(
                request.user, Action.DESTINATION_VIEW, current_workspace(request), destination
            ),
        },
    )


def _pretty(value: Any) -> tuple[str, bool]:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return (text[:BODY_LIMIT], True) if len(text) > BODY_LIMIT else (text, False)


@console_view
def delivery_detail(request: HttpRequest, destination_id: str, delivery_id: str) -> HttpResponse:
    destination = destination_in(request, destination_id, Action.DELIVERIES_VIEW)
    delivery = EventDelivery.objects.filter(
        destination=destination, pk=int(delivery_id) if delivery_id.isdigit() else 0
    ).first()
    if delivery is None:
        raise NotFound("Resource not found")
    event, event_cut = _pretty(delivery.event)
    requests = []
    for item in delivery.requests or []:
        text, cut = _pretty(item)
        summary = item if isinstance(item, dict) else {}
        answer = summary.get("status") or summary.get("error") or "no answer"
        requests.append({"summary": summary, "answer": answer, "text": text, "cut": cut})
    return console_render(
        request,
        "console/delivery/delivery.html",
        {
            "title": f"Delivery {delivery.message_id}",
            "nav": "destinations",
            "destination": destination,
            "delivery": delivery,
            "event_text": event,
            "event_cut": event_cut,
            "requests": requests,
            "logs": delivery.logs or [],
            "back": _page_url(destination),
        },
    )


def _chosen(request: HttpRequest, destination: Destination) -> tuple[Any, dict[str, str]]:
    """The deliveries a replay is about: ticked ids, or every row of the shown window."""
    data = request.POST if request.method == "POST" else request.GET
    rows = EventDelivery.objects.filter(destination=destination)
    ids = [int(i) for i in data.getlist("ids") if i.isdigit()][:1000]
    if ids:
        return rows.filter(pk__in=ids), {"ids": ",".join(map(str, ids))}
    window = view.window_of(data)
    return (
        rows.filter(received_at__gte=window.start, received_at__lt=window.end),
        {"window": window.name, "startTime": window.start.isoformat()},
    )


@console_view
@require_http_methods(["GET", "POST"])
def replay(request: HttpRequest, destination_id: str) -> HttpResponse:
    destination = destination_in(request, destination_id, Action.DELIVERIES_REPLAY)
    deliveries, described = _chosen(request, destination)
    data = request.POST if request.method == "POST" else request.GET
    include_rejected = data.get("rejected") == "on"
    if request.method == "POST" and data.get("confirm") == "yes":
        count = deliveries_replay_chosen(
            destination=destination,
            deliveries=deliveries,
            actor=Actor(user=request.user),  # type: ignore[arg-type]
            include_rejected=include_rejected,
            described=described,
        )
        messages.success(request, f"{count} deliveries sent again through the current version.")
        return redirect(f"{_page_url(destination)}?status={DeliveryStatus.RETRYING}")
    sent, others = replay_preview(deliveries, include_rejected=include_rejected)
    return console_render(
        request,
        "console/delivery/replay.html",
        {
            "title": f"Replay · {destination.name}",
            "nav": "destinations",
            "destination": destination,
            "will_send": sent,
            "others": others,
            "ids": data.getlist("ids"),
            "window_name": data.get("window", "hour"),
            "include_rejected": include_rejected,
            "back": _page_url(destination),
        },
    )
