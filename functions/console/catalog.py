"""Catalog (its Functions tab) and the Functions list."""

from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse

from functions.models import FunctionClass
from workspace.console.shell import console_render, console_view, current_workspace
from workspace.permissions import viewable_functions


def _functions(request: HttpRequest) -> QuerySet[FunctionClass]:
    workspace = current_workspace(request)
    functions = viewable_functions(request.user, workspace, FunctionClass.objects.all())
    return functions.annotate(instance_count=Count("instances")).order_by("display_name")


@console_view
def catalog(request: HttpRequest) -> HttpResponse:
    return console_render(
        request,
        "console/functions/catalog.html",
        {"title": "Catalog", "nav": "catalog", "functions": _functions(request)},
    )


@console_view
def functions_list(request: HttpRequest) -> HttpResponse:
    return console_render(
        request,
        "console/functions/list.html",
        {"title": "Functions", "nav": "functions", "functions": _functions(request)},
    )
