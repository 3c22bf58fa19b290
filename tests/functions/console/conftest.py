"""Members of every role the console's function screens treat differently."""

import pytest

from delivery.services import insert_instance_create
from functions.models import ResourceType
from tests.factories import (
    UserFactory,
    WorkspaceFactory,
    function_factory,
    source_factory,
    webhook_factory,
)
from workspace.audit import SYSTEM
from workspace.models import Role
from workspace.services import membership_grant

SCHEMA = [
    {"name": "apiKey", "label": "API Key", "type": "STRING", "required": True, "sensitive": True}
]
SECRET = "sk_live_console_secret_9876"


def member(workspace, role, objects=None):
    user = UserFactory()
    membership_grant(workspace=workspace, user=user, role=role, actor=SYSTEM, objects=objects)
    return user


@pytest.fixture
def insert_function(workspace):
    return function_factory(workspace, display_name="Enrich", settings_schema=SCHEMA)


@pytest.fixture
def destination_function(workspace):
    return function_factory(workspace, display_name="Send", resource_type=ResourceType.DESTINATION)


@pytest.fixture
def source(workspace):
    return source_factory(workspace, name="web")


@pytest.fixture
def instance(insert_function, source):
    return insert_instance_create(
        function=insert_function,
        destination=webhook_factory(source),
        actor=SYSTEM,
        name="prod",
        settings={"apiKey": SECRET},
    )


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def functions_admin(workspace):
    return member(workspace, Role.FUNCTIONS_ADMIN)


@pytest.fixture
def subset_admin(workspace, insert_function):
    return member(workspace, Role.FUNCTIONS_ADMIN, objects=[insert_function])


@pytest.fixture
def readonly(workspace):
    return member(workspace, Role.FUNCTIONS_READONLY)


@pytest.fixture
def outsider(db):
    other = WorkspaceFactory()
    return member(other, Role.OWNER)


def url(workspace, name, **kwargs):
    from django.urls import reverse

    return reverse(f"admin:console-{name}", kwargs={"slug": workspace.slug, **kwargs})
