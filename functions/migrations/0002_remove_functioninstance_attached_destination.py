"""`FunctionInstance.attached_destination` goes: delivery 0012 moved the key to
`Destination.insert_instance` and copied the attachments (and copies them back when this is
undone), so this app's models no longer point at delivery."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("functions", "0001_initial"),
        ("delivery", "0012_destination_insert_instance"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="functioninstance",
            name="attached_destination",
        ),
    ]
