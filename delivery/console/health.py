"""The Connection Health page: every connection's state, its error rate over the last hour,
its top error; recent alerts; auto-disable, alert subscriptions and the alert webhook."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from delivery.console.event_delivery import destination_in
from delivery.health.queries import connections, recent_alerts
from delivery.health.services import (
    alert_subscription_set,
    connection_auto_disable_set,
    workspace_alert_webhook_set,
)
from delivery.kinds.url_masking import masked_url
from delivery.models import AlertSubscription
from functions.models import FunctionClass
from workspace.audit import Actor
from workspace.console.shell import console_render, console_view, current_workspace
from workspace.errors import InvalidInput, NotFound
from workspace.permissions import Action, can, require


def _back(request: HttpRequest) -> HttpResponse:
    return redirect("admin:console-health", slug=current_workspace(request).slug)


def _person(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise NotFound("Resource not found")
    return request.user


@console_view
def health(request: HttpRequest) -> HttpResponse:
    workspace = current_workspace(request)
    rows = connections(request.user, workspace)
    subscribed = set(
        AlertSubscription.objects.filter(user=_person(request)).values_list(
            "function_id", flat=True
        )
    )
    return console_render(
        request,
        "console/delivery/health.html",
        {
            "title": "Connection Health",
            "nav": "health",
            "connections": [
                {
                    "row": row,
                    "may_admin": can(
                        request.user, Action.DESTINATION_CHANGE, workspace, row.destination
                    ),
                    "functions": [
                        f
                        for f in (
                            getattr(row.destination.function_instance, "function", None),
                            row.insert_function,
                        )
                        if f is not None
                    ],
                }
                for row in rows
            ],
            "subscribed": subscribed,
            "alerts": recent_alerts(request.user, workspace),
            "may_change_workspace": can(request.user, Action.WORKSPACE_CHANGE, workspace),
            "alert_webhook": masked_url(workspace.alert_webhook_url)
            if workspace.alert_webhook_url
            else "",
        },
    )


@console_view
@require_POST
def auto_disable(request: HttpRequest, destination_id: str) -> HttpResponse:
    destination = destination_in(request, destination_id, Action.DESTINATION_CHANGE)
    raw = request.POST.get("minutes", "").strip()
    try:
        minutes = int(raw) if raw else None
        connection_auto_disable_set(
            destination=destination, actor=Actor(user=_person(request)), minutes=minutes
        )
    except ValueError:
        messages.error(request, "Auto-disable needs a number of minutes.")
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        state = f"after {minutes} minutes failing" if minutes else "off"
        messages.success(request, f"Auto-disable of {destination.name}: {state}.")
    return _back(request)


@console_view
@require_POST
def subscribe(request: HttpRequest, function_id: str) -> HttpResponse:
    workspace = current_workspace(request)
    function = FunctionClass.objects.filter(workspace=workspace, pk=function_id[:64]).first()
    if function is None:
        raise NotFound("Resource not found")
    require(request.user, Action.FUNCTION_VIEW, workspace, function)
    on = request.POST.get("subscribed") == "on"
    alert_subscription_set(user=_person(request), function=function, subscribed=on)
    messages.success(
        request,
        f"{'Subscribed to' if on else 'Unsubscribed from'} the alerts of {function.display_name}.",
    )
    return _back(request)


@console_view
@require_POST
def alert_webhook(request: HttpRequest) -> HttpResponse:
    workspace = current_workspace(request)
    require(request.user, Action.WORKSPACE_CHANGE, workspace)
    url = request.POST.get("url", "")
    if url and url == masked_url(workspace.alert_webhook_url):
        return _back(request)  # the masked value sent back keeps the stored one
    try:
        workspace_alert_webhook_set(
            workspace=workspace, actor=Actor(user=_person(request)), url=url
        )
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Alert webhook saved." if url else "Alert webhook removed.")
    return _back(request)
