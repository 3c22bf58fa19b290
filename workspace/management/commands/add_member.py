from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from workspace.audit import SYSTEM
from workspace.console.forms import scoped_models
from workspace.errors import DomainError
from workspace.models import Role, Workspace
from workspace.services import member_add

_FUNCTION_PREFIXES = ("dfn_", "ifnd_")


def _listed(model: type[models.Model], workspace: Workspace, ids: str) -> list[models.Model]:
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    # API ids (dfn_/ifnd_ prefixed) and bare catalog ids alike.
    bare = [i.split("_", 1)[1] if i.startswith(_FUNCTION_PREFIXES) else i for i in wanted]
    found = list(model._default_manager.filter(workspace=workspace, pk__in=bare))
    missing = set(bare) - {str(obj.pk) for obj in found}
    if missing:
        kind = model._meta.verbose_name_plural
        raise CommandError(f"unknown {kind} in {workspace.slug}: {', '.join(sorted(missing))}")
    return found


class Command(BaseCommand):
    help = (
        "Give a person (by email) a role in a workspace, creating their console login if "
        "needed; prints a generated password once for a new login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--functions", default="", help="comma-separated function ids")
        parser.add_argument("--sources", default="", help="comma-separated source ids")
        parser.add_argument("--password", default="", help="set this password (else generated)")

    def _objects(self, workspace: Workspace, options: dict[str, Any]) -> list[models.Model] | None:
        function_model, source_model = scoped_models()
        role = options["role"]
        if role in (Role.FUNCTIONS_ADMIN, Role.FUNCTIONS_READONLY) and options["functions"]:
            return _listed(function_model, workspace, options["functions"])
        if role == Role.SOURCE_ADMIN and options["sources"]:
            return _listed(source_model, workspace, options["sources"])
        if options["functions"] or options["sources"]:
            raise CommandError(
                "--functions goes with the functions roles, --sources with source_admin"
            )
        return None

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['slug']!r}")
        try:
            user, generated = member_add(
                workspace=workspace,
                email=options["email"],
                role=options["role"],
                objects=self._objects(workspace, options),
                password=options["password"] or None,
                actor=SYSTEM,
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        role = Role(options["role"]).label
        self.stdout.write(f"{user.get_username()} is {role} of {workspace.slug}")
        if generated:
            self.stdout.write(f"password: {generated}")
