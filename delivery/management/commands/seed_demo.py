import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models.fields.json import KeyTextTransform

from delivery.kinds.registry import kind_of
from delivery.models import Destination, Source
from delivery.services import (
    destination_create,
    destination_update,
    insert_instance_create,
    source_create,
)
from functions.models import FunctionClass, ResourceType
from functions.services import function_create
from workspace.audit import SYSTEM
from workspace.demo import receiver_token_create
from workspace.models import Workspace
from workspace.services import workspace_create

SAMPLE_INSERT = """\
// Runs on every event before it reaches the webhook.
async function onTrack(event, settings) {
  if (event.properties && event.properties.test) {
    return // returning nothing filters the event out
  }
  event.properties = { ...event.properties, enrichedBy: settings.label }
  return event
}

async function onIdentify(event, settings) {
  if (event.traits && event.traits.email) {
    event.traits.emailDomain = event.traits.email.split('@')[1]
  }
  return event
}
"""

SAMPLE_SCHEMA = [
    {
        "name": "label",
        "label": "Label",
        "description": "Added to every event",
        "type": "STRING",
        "required": True,
        "sensitive": False,
    },
    {
        "name": "apiKey",
        "label": "API key",
        "description": "Example secret",
        "type": "STRING",
        "required": False,
        "sensitive": True,
    },
]


class Command(BaseCommand):
    help = "Seed the demo workspace `acme` (idempotent) and print the owner's login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--receiver",
            default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/demo/receiver",
            help="URL of the demo webhook destination",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        email = "owner@acme.test"
        user, _ = get_user_model().objects.get_or_create(
            username=email, defaults={"email": email, "is_staff": True, "is_superuser": True}
        )
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.save()
        receiver = {
            "url": options["receiver"],
            "headers": {"Authorization": f"Bearer {receiver_token_create()}"},
        }
        workspace = Workspace.objects.filter(slug="acme").first()
        if workspace is None:
            workspace = workspace_create(slug="acme", name="Acme", owner=user, actor=SYSTEM)
            self._seed(workspace, receiver)
        else:
            self._bind_receiver(workspace, receiver)
        source = Source.objects.filter(workspace=workspace).first()
        self.stdout.write(f"demo workspace: acme   login: {email} / {password}")
        if source is not None:
            self.stdout.write(f"source {source.name!r} write key: {source.write_key}")

    def _bind_receiver(self, workspace: Workspace, receiver: dict[str, Any]) -> None:
        """A demo seeded before (another port, an older token or a receiver that was open)
        points at this run's receiver again; a demo webhook sent elsewhere is left alone."""
        webhook = (
            Destination.objects.alias(url=KeyTextTransform("url", "kind_settings"))
            .filter(workspace=workspace, name="Demo webhook", url__contains="/demo/receiver")
            .first()
        )
        if webhook is None:
            return
        current = kind_of(webhook).settings_stored(webhook)
        if current != receiver:
            destination_update(destination=webhook, actor=SYSTEM, settings=receiver)

    def _seed(self, workspace: Workspace, receiver: dict[str, Any]) -> None:
        source = source_create(workspace=workspace, actor=SYSTEM, name="Website")
        webhook: Destination = destination_create(
            kind="webhook",
            workspace=workspace,
            actor=SYSTEM,
            source=source,
            name="Demo webhook",
            settings=receiver,
        )
        function: FunctionClass = function_create(
            workspace=workspace,
            actor=SYSTEM,
            resource_type=ResourceType.INSERT_DESTINATION,
            display_name="Enrich and filter",
            description="Sample insert function",
            code=SAMPLE_INSERT,
            settings_schema=SAMPLE_SCHEMA,
        )
        insert_instance_create(
            function=function,
            destination=webhook,
            actor=SYSTEM,
            name="Enrich and filter",
            settings={"label": "acme-demo", "apiKey": "sk_live_demo_1234567890"},
            enabled=True,
        )
