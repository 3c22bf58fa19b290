"""A destination's kind settings move off the webhook columns: `webhook_url` becomes
`kind_settings["url"]`, and the encrypted headers token moves as it is (no key needed) to
`kind_secrets_encrypted`. Backward, the same in reverse."""

from django.db import migrations, models


def forward(apps, schema_editor):
    Destination = apps.get_model("delivery", "Destination")
    for destination in Destination.objects.filter(kind="webhook").only(
        "pk", "webhook_url", "webhook_headers_encrypted"
    ):
        Destination.objects.filter(pk=destination.pk).update(
            kind_settings={"url": destination.webhook_url},
            kind_secrets_encrypted=destination.webhook_headers_encrypted,
        )


def backward(apps, schema_editor):
    Destination = apps.get_model("delivery", "Destination")
    for destination in Destination.objects.filter(kind="webhook").only(
        "pk", "kind_settings", "kind_secrets_encrypted"
    ):
        Destination.objects.filter(pk=destination.pk).update(
            webhook_url=str(destination.kind_settings.get("url", "")),
            webhook_headers_encrypted=destination.kind_secrets_encrypted,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0009_destination_slow_until"),
    ]

    operations = [
        migrations.AddField(
            model_name="destination",
            name="kind_settings",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="destination",
            name="kind_secrets_encrypted",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="destination", name="webhook_url"),
        migrations.RemoveField(model_name="destination", name="webhook_headers_encrypted"),
    ]
