"""The ledger's event kept as text, its userId copied into a column of its own, and no
foreign key constraint to the destination. Profiled with perf on the worker's backend
(bench/stages_bench.py), jsonb's parsing of every event was 12% of its CPU and the
foreign key's check, a query per row at commit, another 12%; the database never looks
inside the event but for Event Delivery's search by userId, which the new column and its
index serve. The ledger's statements lock a destination once per insert instead
(delivery/ledger/statements.py). Reversed, the event goes back to jsonb, the expression
index and the constraint come back, and the column goes."""

from django.db import migrations, models
from django.db.models import Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Left

import delivery.models
import django.db.models.deletion
import workspace.stored_json


def _user_ids_copied(apps, schema_editor):
    rows = apps.get_model("delivery", "EventDelivery").objects.using(schema_editor.connection.alias)
    user_id = Coalesce(KeyTextTransform("userId", "event"), Value(""))
    rows.update(user_id=Left(user_id, delivery.models.USER_ID_KEPT))


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0017_outbox_events_text"),
        ("workspace", "0003_alert_webhook_url"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventdelivery",
            name="user_id",
            field=delivery.models.EventUserIdField(blank=True, default="", max_length=200),
        ),
        # While the event is still jsonb (a JSON field the ORM can look into).
        migrations.RunPython(_user_ids_copied, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="eventdelivery",
            name="delivery_user_idx",
        ),
        migrations.AddIndex(
            model_name="eventdelivery",
            index=models.Index(fields=["destination", "user_id"], name="delivery_user_id_idx"),
        ),
        migrations.AlterField(
            model_name="eventdelivery",
            name="event",
            field=workspace.stored_json.StoredJSONTextField(),
        ),
        migrations.AlterField(
            model_name="eventdelivery",
            name="message_id",
            field=delivery.models.ByteOrderCharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="eventdelivery",
            name="destination",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="delivery.destination",
            ),
        ),
    ]
