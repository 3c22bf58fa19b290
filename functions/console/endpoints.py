"""JSON endpoints of the console's interactive parts (Run, Create, Save, Save & Deploy):
session + CSRF like every admin page, domain errors as `{"error", "field"}` with the status
the Public API would give, so the page keeps the edit and says why."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from workspace.console.shell import workspace_for
from workspace.errors import DomainError, InvalidInput, NotFound, PermissionDenied

_STATUS = {InvalidInput: 400, PermissionDenied: 403, NotFound: 404}
Endpoint = Callable[..., dict[str, Any]]


def request_json(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise InvalidInput("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object")
    return body


def console_endpoint(view: Endpoint, method: str = "POST") -> Callable[..., HttpResponse]:
    """An endpoint of a console page: `request.workspace` set, the returned dict as JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            request.workspace = workspace_for(request, slug)  # type: ignore[attr-defined]
            return JsonResponse(view(request, *args, **kwargs))
        except DomainError as error:
            status = _STATUS.get(type(error), 400)
            return JsonResponse({"error": error.message, "field": error.field}, status=status)

    return admin.site.admin_view(require_http_methods([method])(wrapper))


def console_read_endpoint(view: Endpoint) -> Callable[..., HttpResponse]:
    return console_endpoint(view, method="GET")
