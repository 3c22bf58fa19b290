"""The function a console URL names, as the signed-in member may see it."""

from django.http import HttpRequest

from functions.models import FunctionClass
from workspace.console.shell import current_workspace
from workspace.errors import NotFound
from workspace.permissions import Action, can


def function_for(request: HttpRequest, function_id: str) -> FunctionClass:
    """The workspace's function, or NotFound (also for one the member may not view: a
    Functions Admin of a subset sees only those functions anywhere)."""
    workspace = current_workspace(request)
    function = FunctionClass.objects.filter(workspace=workspace, pk=function_id).first()
    if function is None or not can(request.user, Action.FUNCTION_VIEW, workspace, function):
        raise NotFound("Resource not found")
    return function
