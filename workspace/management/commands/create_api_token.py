from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from functions.models import FunctionClass
from workspace.audit import SYSTEM
from workspace.errors import DomainError
from workspace.models import Role, Workspace
from workspace.services import api_token_create


def _functions(workspace: Workspace, ids: str) -> list[FunctionClass]:
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    # Accept the API ids (dfn_/ifnd_ prefixed) and bare catalog ids alike.
    bare = [i.split("_", 1)[1] if i.startswith(("dfn_", "ifnd_")) else i for i in wanted]
    found = list(FunctionClass.objects.filter(workspace=workspace, id__in=bare))
    missing = set(bare) - {f.id for f in found}
    if missing:
        raise CommandError(
            f"unknown function ids in {workspace.slug}: {', '.join(sorted(missing))}"
        )
    return found


class Command(BaseCommand):
    help = "Create an API token for a workspace and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--functions", default="", help="comma-separated function ids: limit the role to these"
        )
        parser.add_argument("--name", default="", help="token name (default: the role)")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['slug']!r}")
        objects = _functions(workspace, options["functions"]) if options["functions"] else None
        try:
            _, raw = api_token_create(
                workspace=workspace,
                name=options["name"] or options["role"],
                role=options["role"],
                objects=objects,
                actor=SYSTEM,
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(raw)
