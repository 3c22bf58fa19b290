"""Console pages of functions."""

from django.http import HttpRequest, HttpResponse

from functions.models import FunctionClass
from workspace.console.shell import console_render, console_view
from workspace.permissions import viewable_functions


@console_view
def catalog(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    functions = viewable_functions(request.user, workspace, FunctionClass.objects.all())
    return console_render(
        request,
        "console/functions/catalog.html",
        {"title": "Catalog", "functions": functions.order_by("display_name")},
    )
