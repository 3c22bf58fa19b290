"""Factories for the domain models; writes with side effects go through the services."""

import factory
from django.contrib.auth import get_user_model

from delivery.models import Destination, Source
from functions.models import FunctionClass, ResourceType
from workspace.audit import SYSTEM
from workspace.models import Workspace

INSERT_CODE = (
    "async function onTrack(event, settings) {\n  event.properties.seen = true\n  return event\n}\n"
)
DESTINATION_CODE = "async function onTrack(event, settings) {\n  console.log(event.event)\n}\n"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda u: u.username)
    password = factory.django.Password("pw-for-tests")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    slug = factory.Sequence(lambda n: f"ws-{n}")
    name = factory.LazyAttribute(lambda w: w.slug.title())


def function_factory(
    workspace: Workspace,
    *,
    resource_type: str = ResourceType.INSERT_DESTINATION,
    display_name: str | None = None,
    code: str | None = None,
    settings_schema: list | None = None,
) -> FunctionClass:
    from functions.services import function_create

    is_insert = resource_type == ResourceType.INSERT_DESTINATION
    return function_create(
        workspace=workspace,
        actor=SYSTEM,
        resource_type=resource_type,
        display_name=display_name or f"fn {FunctionClass.objects.count() + 1}",
        code=code or (INSERT_CODE if is_insert else DESTINATION_CODE),
        settings_schema=settings_schema or [],
    )


def source_factory(workspace: Workspace, name: str = "web") -> Source:
    from delivery.services import source_create

    return source_create(workspace=workspace, actor=SYSTEM, name=name)


def webhook_factory(
    source: Source, url: str = "https://hooks.example.com/in", headers: dict[str, str] | None = None
) -> Destination:
    from delivery.services import destination_create

    return destination_create(
        kind="webhook",
        workspace=source.workspace,
        actor=SYSTEM,
        source=source,
        name=f"hook {url}",
        settings={"url": url, "headers": headers or {}},
    )


__all__ = [
    "UserFactory",
    "WorkspaceFactory",
    "function_factory",
    "source_factory",
    "webhook_factory",
]
