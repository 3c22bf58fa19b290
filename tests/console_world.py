"""A workspace seeded for console tests: sources, destinations, functions, connections with
known secret values, and one person per role (plus a member of another workspace)."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from delivery.models import Destination, Source
from delivery.services import destination_create, insert_instance_create
from functions.models import FunctionClass, FunctionInstance, ResourceType
from tests.factories import UserFactory, WorkspaceFactory, function_factory, source_factory
from workspace.audit import SYSTEM
from workspace.models import Role, Workspace
from workspace.services import api_token_create, membership_grant

PASSWORD = "pw-for-tests"
# Values that must never appear in any page, whoever looks (the webhook URL's path is
# masked in the console, but operators edit it in clear on the stock admin page).
SECRET_SETTING = "sk_live_setting_secret_8842"
SECRET_HEADER = "Bearer hdr_secret_token_5531"
SECRET_URL_PART = "url-secret-path-7719"
SECRET_DEST_SETTING = "dest_fn_secret_value_6620"

INSERT_SCHEMA = [
    {"name": "apiKey", "label": "API Key", "type": "STRING", "required": True, "sensitive": True},
    {"name": "region", "label": "Region", "type": "STRING", "required": False},
    {"name": "verbose", "label": "Verbose", "type": "BOOLEAN", "required": False},
]
DEST_SCHEMA = [
    {"name": "token", "label": "Token", "type": "STRING", "required": True, "sensitive": True},
]
ROLES = (
    "owner",
    "superuser",
    "functions_admin",
    "functions_admin_subset",
    "readonly",
    "source_admin",
    "source_admin_subset",
    "outsider",
)


@dataclass
class World:
    workspace: Workspace
    web: Source
    app: Source
    web_hook: Destination
    app_hook: Destination
    spare_hook: Destination
    enrich: FunctionClass
    other: FunctionClass
    forward: FunctionClass
    enrich_on_web: FunctionInstance
    forward_on_app: Destination
    users: dict[str, User] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()


def _user(name: str, **extra: Any) -> User:
    user = UserFactory(username=f"{name}@acme.test", **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def _grant(world: World, name: str, role: Role, objects: Any = None, **extra: Any) -> None:
    user = _user(name, **extra)
    membership_grant(workspace=world.workspace, user=user, role=role, actor=SYSTEM, objects=objects)
    world.users[name] = user


def _webhook(source: Source, name: str, path: str, headers: dict[str, str]) -> Destination:
    from delivery.services import destination_create

    return destination_create(
        kind="webhook",
        workspace=source.workspace,
        actor=SYSTEM,
        source=source,
        name=name,
        settings={"url": f"https://hooks.example.com/{path}", "headers": headers},
    )


def build_world(slug: str = "acme") -> World:
    workspace = WorkspaceFactory(slug=slug, name="Acme")
    web, app = source_factory(workspace, "Web"), source_factory(workspace, "App")
    enrich = function_factory(workspace, display_name="Enrich", settings_schema=INSERT_SCHEMA)
    web_hook = _webhook(web, "Web hook", f"in/{SECRET_URL_PART}", {"Authorization": SECRET_HEADER})
    world = World(
        workspace=workspace,
        web=web,
        app=app,
        web_hook=web_hook,
        app_hook=_webhook(app, "App hook", "app", {}),
        spare_hook=_webhook(web, "Spare hook", "spare", {}),
        enrich=enrich,
        other=function_factory(workspace, display_name="Other"),
        forward=function_factory(
            workspace,
            resource_type=ResourceType.DESTINATION,
            display_name="Forward",
            settings_schema=DEST_SCHEMA,
        ),
        enrich_on_web=insert_instance_create(
            function=enrich,
            destination=web_hook,
            actor=SYSTEM,
            name="Enrich on web",
            settings={"apiKey": SECRET_SETTING, "region": "eu"},
            enabled=False,
        ),
        forward_on_app=None,  # type: ignore[arg-type]
    )
    world.forward_on_app = destination_create(
        kind="function",
        workspace=workspace,
        actor=SYSTEM,
        source=app,
        metadata_id=world.forward.id,
        name="Forward on app",
        settings={"token": SECRET_DEST_SETTING},
    )
    _, raw_token = api_token_create(
        workspace=workspace, name="ci", role=Role.FUNCTIONS_READONLY, actor=SYSTEM
    )
    world.secrets = (SECRET_SETTING, SECRET_HEADER, SECRET_DEST_SETTING, raw_token)
    _grant(world, "owner", Role.OWNER)
    world.users["superuser"] = _user("superuser", is_superuser=True, is_staff=True)
    _grant(world, "functions_admin", Role.FUNCTIONS_ADMIN)
    _grant(world, "functions_admin_subset", Role.FUNCTIONS_ADMIN, objects=[enrich])
    _grant(world, "readonly", Role.FUNCTIONS_READONLY)
    _grant(world, "source_admin", Role.SOURCE_ADMIN)
    _grant(world, "source_admin_subset", Role.SOURCE_ADMIN, objects=[web])
    outsider_ws = WorkspaceFactory(slug=f"{slug}-other", name="Other")
    outsider = _user("outsider")
    membership_grant(workspace=outsider_ws, user=outsider, role=Role.OWNER, actor=SYSTEM)
    world.users["outsider"] = outsider
    return world
