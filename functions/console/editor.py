"""New Function (type, then the editor on the default template) and the function page."""

from django.http import HttpRequest, HttpResponse

from functions.console.editor_context import TYPES, deploy_rows, editor_context
from functions.console.lookups import function_for
from functions.default_code import default_code
from workspace.console.shell import console_render, console_view, current_workspace
from workspace.permissions import Action, require


@console_view
def function_new(request: HttpRequest) -> HttpResponse:
    """Without `type`: the Select Type step; with it: Build, the editor of an unsaved function."""
    workspace = current_workspace(request)
    require(request.user, Action.FUNCTION_CREATE, workspace)
    kind = TYPES.get(request.GET.get("type", ""))
    if kind is None:
        return console_render(
            request, "console/functions/new.html", {"title": "New Function", "nav": "catalog"}
        )
    context = editor_context(request, resource_type=kind, function=None, code=default_code(kind))
    title = "New Insert Function" if kind == TYPES["insert"] else "New Destination Function"
    return console_render(request, "console/functions/editor.html", {**context, "title": title})


@console_view
def function_page(request: HttpRequest, function_id: str) -> HttpResponse:
    function = function_for(request, function_id)
    context = editor_context(
        request, resource_type=function.resource_type, function=function, code=function.code
    )
    context.update(
        title=function.display_name,
        instances=deploy_rows(request, function),
        version=function.versions.order_by("-number").first(),
    )
    return console_render(request, "console/functions/editor.html", context)
