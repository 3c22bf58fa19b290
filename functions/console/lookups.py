"""The function a console URL names, as the signed-in member may see it."""

from django.http import HttpRequest

from functions.models import FunctionClass
from workspace.console.shell import current_workspace
from workspace.errors import NotFound
from workspace.permissions import Action, require


def function_for(request: HttpRequest, function_id: str) -> FunctionClass:
    """The workspace's function (NotFound otherwise), if the member may view it: refused as
    the Public API refuses it (403), so both interfaces give the same verdict. Lists show a
    Functions Admin of a subset only those functions."""
    workspace = current_workspace(request)
    function = FunctionClass.objects.filter(workspace=workspace, pk=function_id).first()
    if function is None:
        raise NotFound("Resource not found")
    require(request.user, Action.FUNCTION_VIEW, workspace, function)
    return function
