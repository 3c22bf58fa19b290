"""The key between a destination and the insert function instance in front of it moves to
the destination (`Destination.insert_instance`), so the functions app no longer points at
delivery: this adds the key and copies each attachment over; functions 0002 then drops
`FunctionInstance.attached_destination`. Backward, the attachments are copied back first.

The keys a destination is deleted through (its source, its function instance) now take its
function instances along (`cascade_with_function_instances`, no change in the database).

Until functions 0002 runs, the old field and its reverse name share the names of the new
field and its reverse name, so the copy goes by column (`*_id`), never by relation."""

import django.db.models.deletion
from django.db import migrations, models

import delivery.models


def _check_now(schema_editor):
    # The keys just written are checked at once, not at commit: PostgreSQL refuses the DDL
    # that follows in the same transaction (dropping the new key's constraint, backward)
    # while foreign-key checks are pending ("pending trigger events").
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def forward(apps, schema_editor):
    Destination = apps.get_model("delivery", "Destination")
    FunctionInstance = apps.get_model("functions", "FunctionInstance")
    attached = FunctionInstance.objects.filter(attached_destination_id__isnull=False)
    for instance_id, destination_id in attached.values_list("pk", "attached_destination_id"):
        Destination.objects.filter(pk=destination_id).update(insert_instance_id=instance_id)
    _check_now(schema_editor)


def backward(apps, schema_editor):
    Destination = apps.get_model("delivery", "Destination")
    FunctionInstance = apps.get_model("functions", "FunctionInstance")
    attached = Destination.objects.filter(insert_instance_id__isnull=False)
    for destination_id, instance_id in attached.values_list("pk", "insert_instance_id"):
        FunctionInstance.objects.filter(pk=instance_id).update(
            attached_destination_id=destination_id
        )
    _check_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0011_destination_kind_from_registry"),
        ("functions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="destination",
            name="insert_instance",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="attached_destination",
                to="functions.functioninstance",
            ),
        ),
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="destination",
            name="function_instance",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=delivery.models.cascade_with_function_instances,
                related_name="destination",
                to="functions.functioninstance",
            ),
        ),
        migrations.AlterField(
            model_name="destination",
            name="source",
            field=models.ForeignKey(
                on_delete=delivery.models.cascade_with_function_instances,
                related_name="destinations",
                to="delivery.source",
            ),
        ),
    ]
