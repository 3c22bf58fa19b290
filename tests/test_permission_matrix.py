"""Role x action: one verdict per pair, taken from the `workspace.permissions` docstring, and
the same verdict through every interface that offers the action.

Each action lists its interfaces (callables that make one request as the role's user); the
browser console adds its endpoints here as its screens land. Interfaces marked
`operators_only` are the stock admin pages: superusers' tools, refused to every member.

The world (one workspace with functions A and B, sources S and T, a user per role) is built
once per module; each test's writes roll back with its transaction.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from delivery.kinds.webhook_destination import webhook_url
from delivery.models import DeliveryStatus, Destination, EventDelivery, Source
from delivery.services import insert_instance_create
from functions.models import FunctionClass, FunctionInstance
from tests.api_client import Api
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import ApiToken, Role, Workspace
from workspace.permissions import Action, can
from workspace.services import api_token_create, workspace_create

ALLOWED, REFUSED, NOT_FOUND = "allowed", "refused", "not found"

# (role, objects granted) per test role; subsets are granted function A or source S.
ROLES: dict[str, tuple[str, str | None]] = {
    "owner": (Role.OWNER, None),
    "superuser": (Role.FUNCTIONS_READONLY, "A"),  # made superuser below: roles do not matter
    "fn_admin_all": (Role.FUNCTIONS_ADMIN, None),
    "fn_admin_subset": (Role.FUNCTIONS_ADMIN, "A"),
    "fn_readonly_all": (Role.FUNCTIONS_READONLY, None),
    "fn_readonly_subset": (Role.FUNCTIONS_READONLY, "A"),
    "src_admin_all": (Role.SOURCE_ADMIN, None),
    "src_admin_subset": (Role.SOURCE_ADMIN, "S"),
    "other_workspace": (Role.OWNER, None),  # owner of another workspace
}

OWNERS = {"owner", "superuser"}
FN_VIEW_A = OWNERS | {"fn_admin_all", "fn_admin_subset", "fn_readonly_all", "fn_readonly_subset"}
FN_VIEW_B = OWNERS | {"fn_admin_all", "fn_readonly_all"}
FN_EDIT_A = OWNERS | {"fn_admin_all", "fn_admin_subset"}
FN_EDIT_B = OWNERS | {"fn_admin_all"}
SRC_S = OWNERS | {"src_admin_all", "src_admin_subset"}
SRC_T = OWNERS | {"src_admin_all"}

# The docstring's rules, written out per action (A, S granted to the subset roles; B, T not).
EXPECTED: dict[str, set[str]] = {
    "view function A": FN_VIEW_A,
    "view function B": FN_VIEW_B,
    "create function": OWNERS | {"fn_admin_all"},
    "save function A": FN_EDIT_A,
    "save function B": FN_EDIT_B,
    "run saved code of A": FN_EDIT_A,
    "run saved code of B": FN_EDIT_B,
    "run unsaved code of A": FN_EDIT_A,
    "run unsaved code of B": FN_EDIT_B,
    "run code of a new function": OWNERS | {"fn_admin_all", "fn_admin_subset"},
    "delete function A": FN_EDIT_A,
    "delete function B": FN_EDIT_B,
    "deploy A (instance on S)": FN_EDIT_A & SRC_S,
    "deploy B (no instance)": FN_EDIT_B,
    "view instance settings (A on S)": FN_VIEW_A | SRC_S,
    "change instance settings (A on S)": SRC_S,
    "enable instance (A on S)": SRC_S,
    "view source S": SRC_S,
    "view source T": SRC_T,
    "create source": OWNERS | {"src_admin_all"},
    "create destination on S": SRC_S,
    "create destination on T": SRC_T,
    "view destination on S": SRC_S,
    "change destination on S": SRC_S,
    "connect A to a destination on S": FN_VIEW_A & SRC_S,
    "view deliveries (destination on S, insert A)": FN_VIEW_A | SRC_S,
    "view deliveries (destination on T)": SRC_T,
    "replay deliveries on S": SRC_S,
    "audit view": OWNERS,
    "tokens manage": OWNERS,
    "members manage": OWNERS,
    "workspace change": OWNERS,
}


@dataclass
class World:
    workspace: Workspace
    a: FunctionClass
    b: FunctionClass
    s: Source
    t: Source
    hook_s: Destination  # has insert function A in front of it
    hook_s2: Destination
    hook_t: Destination
    instance: FunctionInstance
    delivery: EventDelivery
    victim_token: ApiToken
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _build_world() -> World:
    workspace = workspace_create(slug="matrix")
    a = function_factory(workspace, display_name="A")
    b = function_factory(workspace, display_name="B")
    s, t = source_factory(workspace, "S"), source_factory(workspace, "T")
    hook_s = webhook_factory(s, "https://s.example/")
    hook_s2 = webhook_factory(s, "https://s2.example/")
    hook_t = webhook_factory(t, "https://t.example/")
    instance = insert_instance_create(
        function=a, destination=hook_s, actor=SYSTEM, name="A on S", settings={}
    )
    delivery = EventDelivery.objects.create(
        workspace=workspace,
        destination=hook_s,
        message_id="m-1",
        event_type="track",
        event={"type": "track"},
        status=DeliveryStatus.FAILED,
        attempts=9,
        received_at=timezone.now(),
    )
    victim, _ = api_token_create(
        workspace=workspace, name="victim", role=Role.FUNCTIONS_READONLY, actor=SYSTEM
    )
    world = World(workspace, a, b, s, t, hook_s, hook_s2, hook_t, instance, delivery, victim)
    elsewhere = workspace_create(slug="matrix-elsewhere")
    for name, (role, granted) in ROLES.items():
        home = elsewhere if name == "other_workspace" else workspace
        objects = [{"A": a, "S": s}[granted]] if granted else None
        token, raw = api_token_create(
            workspace=home, name=name, role=role, actor=SYSTEM, objects=objects
        )
        if name == "superuser":
            token.user.is_superuser = token.user.is_staff = True
            token.user.save()
        world.users[name], world.tokens[name] = token.user, raw
    return world


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        built = _build_world()
    yield built
    with django_db_blocker.unblock():
        # Instances pin versions (PROTECT): they go first.
        FunctionInstance.objects.filter(workspace__slug__startswith="matrix").delete()
        Workspace.objects.filter(slug__startswith="matrix").delete()
        User.objects.filter(pk__in=[u.pk for u in built.users.values()]).delete()
        User.objects.filter(pk=built.victim_token.user_id).delete()


# --- interfaces ----------------------------------------------------------------------------

EVENT = {"type": "track", "event": "Order Completed", "messageId": "m-1", "properties": {}}
CODE = "async function onTrack(event) { return event }"


@dataclass
class Ctx:
    world: World
    role: str
    client: Client  # signed in as the role's user

    @property
    def api(self) -> Api:
        return Api(self.world.tokens[self.role])


@dataclass(frozen=True)
class Interface:
    name: str
    call: Callable[[Ctx], Any]
    operators_only: bool = False
    # The status an allowed call answers (an admin form that saved redirects).
    ok_status: int = 200
    # The Public API addresses the token's own workspace: a workspace-wide action by a member
    # of another workspace happens there, so it says nothing about this one.
    workspace_wide: bool = False


def api(name: str, call: Callable[[Ctx], Any], workspace_wide: bool = False) -> Interface:
    return Interface(f"api {name}", call, workspace_wide=workspace_wide)


def admin(name: str, call: Callable[[Ctx], Any], ok_status: int = 302) -> Interface:
    """A stock admin page: GET pages answer 200, forms and actions redirect when done."""
    return Interface(f"admin {name}", call, operators_only=True, ok_status=ok_status)


def console(name: str, call: Callable[[Ctx], Any], ok_status: int = 302) -> Interface:
    """A console page (session login): GET pages answer 200, forms redirect when done."""
    return Interface(f"console {name}", call, ok_status=ok_status)


def _console(c: Ctx, path: str) -> str:
    return f"/admin/w/{c.world.workspace.slug}/{path}"


def _admin_url(model: str, view: str, *args: Any) -> str:
    return reverse(f"admin:{model}_{view}", args=args)


def _function_form(function: FunctionClass, **changes: Any) -> dict[str, Any]:
    return {
        "display_name": function.display_name,
        "description": "changed",
        "logo_url": "",
        "code": function.code,
        "settings_schema": "[]",
        "batch_max_count": function.batch_max_count,
        **changes,
    }


def _filters(**extra: Any) -> dict[str, Any]:
    return {"filters-TOTAL_FORMS": "0", "filters-INITIAL_FORMS": "0", **extra}


def _destination_form(destination: Destination, **extra: Any) -> dict[str, Any]:
    return _filters(
        name="renamed",
        enabled="on",
        max_attempts=9,
        webhook_url=webhook_url(destination),
        **extra,
    )


def _new_webhook(source: Source) -> dict[str, Any]:
    return _filters(
        source=source.pk,
        name="new hook",
        kind="webhook",
        enabled="on",
        webhook_url="https://new.example/",
        max_attempts=9,
        function_settings="{}",
    )


def _action(model: str, action: str, pk: Any) -> tuple[str, dict[str, Any]]:
    return _admin_url(model, "changelist"), {"action": action, "_selected_action": [pk]}


def _post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _function_interfaces(key: str) -> dict[str, tuple[Interface, ...]]:
    def fn(ctx: Ctx) -> FunctionClass:
        return getattr(ctx.world, key.lower())

    change = "functions_functionclass"

    def page(c: Ctx, suffix: str = "") -> str:
        return _console(c, f"functions/{fn(c).pk}/{suffix}")

    def run(c: Ctx, body: dict[str, Any]) -> Any:
        return _post_json(c.client, _console(c, "functions/run/"), {"functionId": fn(c).pk, **body})

    return {
        f"view function {key}": (
            api("get", lambda c: c.api.get(f"functions/{fn(c).api_id}")),
            admin("change page", lambda c: c.client.get(_admin_url(change, "change", fn(c).pk))),
            console("function page", lambda c: c.client.get(page(c))),
            console("versions", lambda c: c.client.get(page(c, "versions/"))),
        ),
        f"save function {key}": (
            api("patch", lambda c: c.api.patch(f"functions/{fn(c).api_id}", {"description": "x"})),
            admin(
                "change form",
                lambda c: c.client.post(
                    _admin_url(change, "change", fn(c).pk), _function_form(fn(c))
                ),
            ),
            console(
                "save",
                lambda c: _post_json(
                    c.client, page(c, "save/"), {"code": CODE + "\n", "settingsSchema": []}
                ),
                ok_status=200,
            ),
        ),
        f"run saved code of {key}": (
            api(
                "preview",
                lambda c: c.api.post(f"functions/{fn(c).api_id}/preview", {"event": EVENT}),
            ),
            admin(
                "test panel",
                lambda c: _post_json(
                    c.client, _admin_url(change, "test", fn(c).pk), {"event": EVENT}
                ),
                ok_status=200,
            ),
            console("run", lambda c: run(c, {"event": EVENT, "code": fn(c).code}), ok_status=200),
        ),
        f"run unsaved code of {key}": (
            api(
                "preview",
                lambda c: c.api.post(
                    f"functions/{fn(c).api_id}/preview", {"event": EVENT, "code": CODE}
                ),
            ),
            admin(
                "test panel",
                lambda c: _post_json(
                    c.client, _admin_url(change, "test", fn(c).pk), {"event": EVENT, "code": CODE}
                ),
                ok_status=200,
            ),
            console("run", lambda c: run(c, {"event": EVENT, "code": CODE}), ok_status=200),
        ),
        f"delete function {key}": (
            api("delete", lambda c: c.api.delete(f"functions/{fn(c).api_id}")),
            admin(
                "delete page",
                lambda c: c.client.post(_admin_url(change, "delete", fn(c).pk), {"post": "yes"}),
            ),
            # A has an instance: the console refuses to delete it until disconnected.
            *(
                [console("delete", lambda c: c.client.post(page(c, "delete/")))]
                if key == "B"
                else []
            ),
        ),
    }


INSTANCE = "functions_functioninstance"
DESTINATION = "delivery_destination"
DELIVERY = "delivery_eventdelivery"

INTERFACES: dict[str, tuple[Interface, ...]] = {
    **_function_interfaces("A"),
    **_function_interfaces("B"),
    "create function": (
        api(
            "post",
            lambda c: c.api.post(
                "functions",
                {"code": CODE, "displayName": "new", "resourceType": "INSERT_DESTINATION"},
            ),
            workspace_wide=True,
        ),
        admin(
            "add form",
            lambda c: c.client.post(
                _admin_url("functions_functionclass", "add"),
                _function_form(
                    c.world.a,
                    display_name="new",
                    workspace=c.world.workspace.pk,
                    resource_type="INSERT_DESTINATION",
                ),
            ),
        ),
        console(
            "create",
            lambda c: _post_json(
                c.client,
                _console(c, "functions/new/create/"),
                {
                    "code": CODE,
                    "displayName": "new in console",
                    "resourceType": "INSERT_DESTINATION",
                },
            ),
            ok_status=200,
        ),
    ),
    "run code of a new function": (
        api(
            "preview",
            lambda c: c.api.post(
                "functions/preview",
                {"code": CODE, "resourceType": "INSERT_DESTINATION", "event": EVENT},
            ),
            workspace_wide=True,
        ),
    ),
    "deploy A (instance on S)": (
        api("deploy", lambda c: c.api.post(f"functions/{c.world.a.api_id}/deploy")),
    ),
    "deploy B (no instance)": (
        api("deploy", lambda c: c.api.post(f"functions/{c.world.b.api_id}/deploy")),
    ),
    "view instance settings (A on S)": (
        api("get", lambda c: c.api.get(f"insert-function-instances/{c.world.instance.id}")),
        admin(
            "change page",
            lambda c: c.client.get(_admin_url(INSTANCE, "change", c.world.instance.pk)),
        ),
    ),
    "change instance settings (A on S)": (
        api(
            "patch",
            lambda c: c.api.patch(
                f"insert-function-instances/{c.world.instance.id}",
                {"name": "renamed", "settings": {}},
            ),
        ),
        admin(
            "change form",
            lambda c: c.client.post(
                _admin_url(INSTANCE, "change", c.world.instance.pk),
                {"name": "renamed", "enabled": "on", "settings_json": "{}"},
            ),
        ),
    ),
    "enable instance (A on S)": (
        api(
            "patch",
            lambda c: c.api.patch(
                f"insert-function-instances/{c.world.instance.id}", {"enabled": False}
            ),
        ),
        admin(
            "disable action",
            lambda c: c.client.post(*_action(INSTANCE, "disable_instances", c.world.instance.pk)),
        ),
    ),
    "view source S": (
        api("get", lambda c: c.api.get(f"sources/{c.world.s.id}")),
        admin(
            "change page",
            lambda c: c.client.get(_admin_url("delivery_source", "change", c.world.s.pk)),
        ),
    ),
    "view source T": (api("get", lambda c: c.api.get(f"sources/{c.world.t.id}")),),
    "create source": (
        api("post", lambda c: c.api.post("sources", {"name": "new"}), workspace_wide=True),
        admin(
            "add form",
            lambda c: c.client.post(
                _admin_url("delivery_source", "add"),
                {"workspace": c.world.workspace.pk, "name": "new", "enabled": "on"},
            ),
        ),
    ),
    "create destination on S": (
        api(
            "post",
            lambda c: c.api.post(
                "destinations",
                {
                    "sourceId": c.world.s.id,
                    "metadataId": "webhook",
                    "settings": {"url": "https://new.example/"},
                },
            ),
        ),
        admin(
            "add form",
            lambda c: c.client.post(_admin_url(DESTINATION, "add"), _new_webhook(c.world.s)),
        ),
    ),
    "create destination on T": (
        api(
            "post",
            lambda c: c.api.post(
                "destinations",
                {
                    "sourceId": c.world.t.id,
                    "metadataId": "webhook",
                    "settings": {"url": "https://new.example/"},
                },
            ),
        ),
    ),
    "view destination on S": (
        api("get", lambda c: c.api.get(f"destinations/{c.world.hook_s.id}")),
        admin(
            "change page",
            lambda c: c.client.get(_admin_url(DESTINATION, "change", c.world.hook_s.pk)),
        ),
    ),
    "change destination on S": (
        api("patch", lambda c: c.api.patch(f"destinations/{c.world.hook_s.id}", {"name": "x"})),
        admin(
            "change form",
            lambda c: c.client.post(
                _admin_url(DESTINATION, "change", c.world.hook_s.pk),
                _destination_form(c.world.hook_s),
            ),
        ),
    ),
    "connect A to a destination on S": (
        api(
            "post",
            lambda c: c.api.post(
                "insert-function-instances",
                {
                    "functionId": c.world.a.id,
                    "integrationId": c.world.hook_s2.id,
                    "name": "A on S2",
                    "settings": {},
                },
            ),
        ),
        admin(
            "destination form",
            lambda c: c.client.post(
                _admin_url(DESTINATION, "change", c.world.hook_s2.pk),
                _destination_form(
                    c.world.hook_s2, insert_function=c.world.a.pk, insert_settings="{}"
                ),
            ),
        ),
    ),
    "view deliveries (destination on S, insert A)": (
        api(
            "list",
            lambda c: c.api.get(f"destinations/{c.world.hook_s.id}/event-deliveries"),
        ),
        admin(
            "list",
            lambda c: c.client.get(
                _admin_url(DELIVERY, "changelist"), {"destination__id__exact": c.world.hook_s.pk}
            ),
        ),
        console(
            "event delivery",
            lambda c: c.client.get(
                _console(c, f"destinations/{c.world.hook_s.pk}/event-delivery/")
            ),
        ),
        console(
            "one delivery",
            lambda c: c.client.get(
                _console(
                    c, f"destinations/{c.world.hook_s.pk}/event-delivery/{c.world.delivery.pk}/"
                )
            ),
        ),
    ),
    "view deliveries (destination on T)": (
        api(
            "list",
            lambda c: c.api.get(f"destinations/{c.world.hook_t.id}/event-deliveries"),
        ),
        console(
            "event delivery",
            lambda c: c.client.get(
                _console(c, f"destinations/{c.world.hook_t.pk}/event-delivery/")
            ),
        ),
    ),
    "replay deliveries on S": (
        api(
            "replay",
            lambda c: c.api.post(
                f"destinations/{c.world.hook_s.id}/event-deliveries/replay",
                {"startTime": "2000-01-01T00:00:00Z", "endTime": "2100-01-01T00:00:00Z"},
            ),
        ),
        admin(
            "replay action",
            lambda c: c.client.post(*_action(DELIVERY, "replay_failed", c.world.delivery.pk)),
        ),
        console(
            "replay preview",
            lambda c: c.client.get(
                _console(c, f"destinations/{c.world.hook_s.pk}/event-delivery/replay/")
            ),
        ),
        console(
            "replay",
            lambda c: c.client.post(
                _console(c, f"destinations/{c.world.hook_s.pk}/event-delivery/replay/"),
                {"window": "day", "confirm": "yes"},
            ),
        ),
    ),
    "audit view": (
        api("list", lambda c: c.api.get("audit-events"), workspace_wide=True),
        admin("list", lambda c: c.client.get(_admin_url("workspace_auditevent", "changelist"))),
        console("audit trail", lambda c: c.client.get(_console(c, "audit/"))),
    ),
    "tokens manage": (
        admin(
            "revoke action",
            lambda c: c.client.post(
                *_action("workspace_apitoken", "revoke", c.world.victim_token.pk)
            ),
        ),
        console(
            "token revoke",
            lambda c: c.client.post(
                _console(c, f"members/tokens/{c.world.victim_token.pk}/revoke/")
            ),
        ),
    ),
    "members manage": (console("members page", lambda c: c.client.get(_console(c, "members/"))),),
    "workspace change": (
        console(
            "alert webhook",
            lambda c: c.client.post(_console(c, "health/alert-webhook/"), {"url": ""}),
        ),
    ),
}


def _verdict(interface: Interface, response: Any, method: str) -> str:
    status = response.status_code
    if status == 403:
        return REFUSED
    if status == 404:
        return NOT_FOUND
    if status == 422 and not interface.operators_only and "not found" in str(response.json()):
        return NOT_FOUND  # an id in the body: the API's "not found" for that field
    if interface.operators_only and status == 302 and response.url == reverse("admin:index"):
        return NOT_FOUND  # the admin's "does not exist" redirect
    if status == (200 if method == "GET" else interface.ok_status):
        return ALLOWED
    return f"unexpected {status}: {response.content[:300]!r}"


def _expected(role: str, action: str, interface: Interface) -> set[str]:
    if interface.operators_only and role != "superuser":
        return {REFUSED, NOT_FOUND} if role == "other_workspace" else {REFUSED}
    if role == "other_workspace":
        return {NOT_FOUND}
    return {ALLOWED} if role in EXPECTED[action] else {REFUSED}


PAIRS = [
    pytest.param(role, action, interface, id=f"{role}-{action}-{interface.name}")
    for action, interfaces in INTERFACES.items()
    for interface in interfaces
    for role in ROLES
    if not (role == "other_workspace" and interface.workspace_wide)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action", "interface"), PAIRS)
def test_permission_matrix_same_verdict_on_every_interface(
    world: World, client: Client, role: str, action: str, interface: Interface
) -> None:
    client.force_login(world.users[role])
    response = interface.call(Ctx(world, role, client))
    method = response.request["REQUEST_METHOD"]
    assert _verdict(interface, response, method) in _expected(role, action, interface)


# --- the permission module itself, for the same table ----------------------------------------


def _checks(w: World, asked: set[Action]) -> dict[str, Callable[[User], bool]]:
    ws = w.workspace

    def c(action: Action, obj: Any = None) -> Callable[[User], bool]:
        asked.add(action)
        return lambda user: can(user, action, ws, obj)

    def both(*checks: Callable[[User], bool]) -> Callable[[User], bool]:
        return lambda user: all(check(user) for check in checks)

    return {
        "view function A": c(Action.FUNCTION_VIEW, w.a),
        "view function B": c(Action.FUNCTION_VIEW, w.b),
        "create function": c(Action.FUNCTION_CREATE),
        "save function A": c(Action.FUNCTION_EDIT, w.a),
        "save function B": c(Action.FUNCTION_EDIT, w.b),
        "run saved code of A": c(Action.FUNCTION_RUN, w.a),
        "run saved code of B": c(Action.FUNCTION_RUN, w.b),
        "run unsaved code of A": c(Action.FUNCTION_RUN, w.a),
        "run unsaved code of B": c(Action.FUNCTION_RUN, w.b),
        "run code of a new function": c(Action.FUNCTION_RUN),
        "delete function A": c(Action.FUNCTION_EDIT, w.a),
        "delete function B": c(Action.FUNCTION_EDIT, w.b),
        "deploy A (instance on S)": both(
            c(Action.FUNCTION_EDIT, w.a), c(Action.INSTANCE_CHANGE, w.instance)
        ),
        "deploy B (no instance)": c(Action.FUNCTION_EDIT, w.b),
        "view instance settings (A on S)": c(Action.INSTANCE_VIEW, w.instance),
        "change instance settings (A on S)": c(Action.INSTANCE_CHANGE, w.instance),
        "enable instance (A on S)": c(Action.INSTANCE_CHANGE, w.instance),
        "view source S": c(Action.SOURCE_VIEW, w.s),
        "view source T": c(Action.SOURCE_VIEW, w.t),
        "create source": c(Action.SOURCE_CREATE),
        "create destination on S": c(Action.SOURCE_ADMIN, w.s),
        "create destination on T": c(Action.SOURCE_ADMIN, w.t),
        "view destination on S": c(Action.DESTINATION_VIEW, w.hook_s),
        "change destination on S": c(Action.DESTINATION_CHANGE, w.hook_s),
        "connect A to a destination on S": both(
            c(Action.FUNCTION_VIEW, w.a), c(Action.DESTINATION_CHANGE, w.hook_s2)
        ),
        "view deliveries (destination on S, insert A)": c(Action.DELIVERIES_VIEW, w.hook_s),
        "view deliveries (destination on T)": c(Action.DELIVERIES_VIEW, w.hook_t),
        "replay deliveries on S": c(Action.DELIVERIES_REPLAY, w.hook_s),
        "audit view": c(Action.AUDIT_VIEW),
        "tokens manage": c(Action.TOKENS_MANAGE),
        "members manage": c(Action.MEMBERS_MANAGE),
        "workspace change": c(Action.WORKSPACE_CHANGE),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_permission_module_matches_the_table(world: World, action: str) -> None:
    check = _checks(world, set())[action]
    verdicts = {role: check(User.objects.get(pk=world.users[role].pk)) for role in ROLES}
    assert {role for role, allowed in verdicts.items() if allowed} == EXPECTED[action]


@pytest.mark.django_db
def test_permission_matrix_covers_every_action(world: World) -> None:
    asked: set[Action] = set()
    checks = _checks(world, asked)
    assert set(checks) == set(EXPECTED) == set(INTERFACES)
    assert asked == set(Action)
