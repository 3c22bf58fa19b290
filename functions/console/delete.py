"""Delete Function: refused while instances exist, listing them with a way to disconnect."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from functions import services
from functions.console.editor_context import deploy_rows
from functions.console.lookups import function_for
from workspace.audit import Actor
from workspace.console.shell import console_render, console_view, current_workspace
from workspace.permissions import Action, require


@console_view
def function_delete(request: HttpRequest, function_id: str) -> HttpResponse:
    function = function_for(request, function_id)
    workspace = current_workspace(request)
    require(request.user, Action.FUNCTION_EDIT, workspace, function)
    instances = deploy_rows(request, function)
    if request.method == "POST" and not instances:
        name = function.display_name
        services.function_delete(function=function, actor=Actor(user=request.user))  # type: ignore[arg-type]
        messages.success(request, f"Deleted {name}.")
        return redirect("admin:console-functions", slug=workspace.slug)
    refused = request.method == "POST"
    return console_render(
        request,
        "console/functions/delete.html",
        {
            "title": f"Delete {function.display_name}",
            "nav": "functions",
            "function": function,
            "instances": instances,
            "refused": refused,
        },
        status=409 if refused else 200,
    )
