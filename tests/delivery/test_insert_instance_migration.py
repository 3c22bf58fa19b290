"""Delivery 0012 and functions 0002 move the insert function instance's key from
`FunctionInstance.attached_destination` to `Destination.insert_instance`: each attachment
goes back to the instance's column when undone, and forward again to the destination's."""

import pytest

from delivery.models import Destination
from delivery.services import insert_instance_create
from functions.models import FunctionInstance
from tests.delivery.migrating import migrate_to, migrate_to_latest
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM

BEFORE = [
    ("delivery", "0011_destination_kind_from_registry"),
    ("functions", "0001_initial"),
]
AFTER = [
    ("delivery", "0012_destination_insert_instance"),
    ("functions", "0002_remove_functioninstance_attached_destination"),
]


@pytest.mark.django_db(transaction=True)
def test_insert_instance_key_moves_to_the_instance_and_back(workspace):
    source = source_factory(workspace)
    hook = webhook_factory(source)
    bare = webhook_factory(source, url="https://bare.example.com/in")
    instance = insert_instance_create(
        function=function_factory(workspace),
        destination=hook,
        actor=SYSTEM,
        name="enrich",
        settings={},
    )
    try:
        apps = migrate_to(BEFORE)
        old = apps.get_model("functions", "FunctionInstance").objects.get(pk=instance.pk)
        assert old.attached_destination_id == hook.pk
        assert "insert_instance" not in {
            f.name for f in apps.get_model("delivery", "Destination")._meta.fields
        }

        migrate_to(AFTER)
        assert Destination.objects.get(pk=hook.pk).insert_instance_id == instance.pk
        assert Destination.objects.get(pk=bare.pk).insert_instance_id is None
        assert FunctionInstance.objects.get(pk=instance.pk).attached_destination.pk == hook.pk
    finally:
        migrate_to_latest()
