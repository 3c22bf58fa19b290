from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from delivery.models import Destination
from functions.models import FunctionInstance
from workspace.infra.secrets import rotate_value


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FUNCTIONS_ENCRYPTION_KEYS; "
        "afterwards older keys can be removed."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        instances = 0
        for instance in FunctionInstance.objects.select_for_update().exclude(encrypted_settings={}):
            instance.encrypted_settings = {
                name: rotate_value(token) for name, token in instance.encrypted_settings.items()
            }
            instance.save(update_fields=["encrypted_settings"])
            instances += 1
        destinations = 0
        for destination in Destination.objects.select_for_update().exclude(
            kind_secrets_encrypted=""
        ):
            destination.kind_secrets_encrypted = rotate_value(destination.kind_secrets_encrypted)
            destination.save(update_fields=["kind_secrets_encrypted"])
            destinations += 1
        self.stdout.write(f"re-encrypted {instances} instances and {destinations} destinations")
