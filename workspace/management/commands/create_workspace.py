from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workspace.errors import DomainError
from workspace.services import workspace_create


class Command(BaseCommand):
    help = "Create a workspace with an owner (the user is created when new)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--owner", required=True, help="owner's email (also the username)")
        parser.add_argument("--name", default="", help="display name (default: the slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        owner, created = user_model.objects.get_or_create(
            username=options["owner"], defaults={"email": options["owner"]}
        )
        try:
            workspace = workspace_create(slug=options["slug"], name=options["name"], owner=owner)
        except DomainError as error:
            raise CommandError(error.message) from None
        note = " (new user: set a password with `manage.py changepassword`)" if created else ""
        self.stdout.write(f"workspace {workspace.slug} ({workspace.id}) owned by {owner}{note}")
