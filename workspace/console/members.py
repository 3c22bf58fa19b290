"""The Members page (Workspace Owners): people and their roles, and the API tokens."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from guardian.shortcuts import get_objects_for_user

from workspace import services
from workspace.audit import Actor
from workspace.console.forms import MemberForm, TokenForm, scoped_models
from workspace.console.shell import console_render, console_view
from workspace.errors import DomainError, NotFound
from workspace.models import ApiToken, Membership, Role, Workspace
from workspace.permissions import Action, require

_LISTED_PERM = {
    Role.FUNCTIONS_ADMIN: "functions.change_functionclass",
    Role.FUNCTIONS_READONLY: "functions.view_functionclass",
    Role.SOURCE_ADMIN: "delivery.change_source",
}


def _scope(membership: Membership) -> list[str] | None:
    """Names of the objects a listed-scope role covers; None for all."""
    if membership.all_resources or Role(membership.role) not in _LISTED_PERM:
        return None
    function_model, source_model = scoped_models()
    perm = _LISTED_PERM[Role(membership.role)]
    model = source_model if perm.startswith("delivery.") else function_model
    objects = get_objects_for_user(
        membership.user,
        perm,
        klass=model._default_manager.filter(workspace=membership.workspace),
        accept_global_perms=False,
    )
    return sorted(str(obj) for obj in objects)


def _people(workspace: Workspace) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    memberships = (
        Membership.objects.filter(workspace=workspace, user__api_token__isnull=True)
        .select_related("user")
        .order_by("user__username", "role")
    )
    for membership in memberships:
        row = rows.setdefault(membership.user_id, {"user": membership.user, "roles": []})
        row["roles"].append({"membership": membership, "scope": _scope(membership)})
    return list(rows.values())


def _tokens(workspace: Workspace) -> list[dict[str, Any]]:
    tokens = ApiToken.objects.filter(workspace=workspace).select_related("user")
    roles = {
        m.user_id: m
        for m in Membership.objects.filter(workspace=workspace, user__api_token__isnull=False)
    }
    return [
        {"token": token, "membership": roles.get(token.user_id)}
        for token in tokens.order_by("revoked_at", "-created_at")
    ]


def _page(request: HttpRequest, **context: Any) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    full = {
        "title": "Members",
        "nav": "members",
        "people": _people(workspace),
        "tokens": _tokens(workspace),
        "member_form": MemberForm(workspace=workspace),
        "token_form": TokenForm(workspace=workspace),
        **context,
    }
    status = 400 if context.get("failed") else 200
    return console_render(request, "console/members/members.html", full, status=status)


def _actor(request: HttpRequest) -> Actor:
    user = request.user
    assert isinstance(user, User)
    return Actor(user=user)


@console_view
def members(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.MEMBERS_MANAGE, request.workspace)  # type: ignore[attr-defined]
    return _page(request)


@console_view
@require_POST
def member_add(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    require(request.user, Action.MEMBERS_MANAGE, workspace)
    form = MemberForm(request.POST, workspace=workspace)
    if form.is_valid():
        try:
            user, password = services.member_add(
                workspace=workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                objects=form.objects(),
                actor=_actor(request),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            # Rendered, not redirected: the password is shown this once and kept nowhere.
            role = Role(form.cleaned_data["role"]).label
            return _page(request, added=user, added_role=role, password=password)
    return _page(request, member_form=form, failed=True)


@console_view
@require_POST
def membership_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    require(request.user, Action.MEMBERS_MANAGE, workspace)
    membership = Membership.objects.filter(
        workspace=workspace, pk=membership_id, user__api_token__isnull=True
    ).first()
    if membership is None:
        raise NotFound("Resource not found")
    try:
        services.membership_remove(membership=membership, actor=_actor(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"{membership.user.get_username()} is no longer {membership.get_role_display()}.",
        )
    return redirect("admin:console-members", slug=workspace.slug)


@console_view
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    require(request.user, Action.TOKENS_MANAGE, workspace)
    form = TokenForm(request.POST, workspace=workspace)
    if form.is_valid():
        try:
            token, raw = services.api_token_create(
                workspace=workspace,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                objects=form.objects(),
                actor=_actor(request),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return _page(request, new_token=token, raw_token=raw)
    return _page(request, token_form=form, failed=True)


@console_view
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    require(request.user, Action.TOKENS_MANAGE, workspace)
    token = ApiToken.objects.filter(workspace=workspace, pk=token_id).first()
    if token is None:
        raise NotFound("Resource not found")
    try:
        services.api_token_revoke(workspace=workspace, token=token, actor=_actor(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Token {token.name} revoked.")
    return redirect("admin:console-members", slug=workspace.slug)
