"""Migration 0010 moves a webhook's URL and encrypted headers off the webhook columns into
the kind's columns, the encrypted token as it is, and back again."""

import pytest

from delivery.kinds.webhook_destination import webhook_headers, webhook_url
from tests.delivery.migrating import migrate_to, migrate_to_latest
from workspace.infra.secrets import decrypt_value, encrypt_value

BEFORE = [("delivery", "0009_destination_slow_until")]
AFTER = [("delivery", "0010_destination_kind_settings")]
URL = "https://user:pw@hooks.example/in?token=abc"
HEADERS = {"Authorization": "Bearer secret-1234"}


@pytest.mark.django_db(transaction=True)
def test_webhook_settings_move_to_the_kind_columns_and_back(workspace):
    try:
        apps = migrate_to(BEFORE)
        source = apps.get_model("delivery", "Source").objects.create(
            workspace_id=workspace.pk, name="Web", write_key="wk-migration"
        )
        old = apps.get_model("delivery", "Destination")
        token = encrypt_value(HEADERS)
        hook = old.objects.create(
            workspace_id=workspace.pk,
            source=source,
            name="hook",
            kind="webhook",
            webhook_url=URL,
            webhook_headers_encrypted=token,
        )
        bare = old.objects.create(
            workspace_id=workspace.pk, source=source, name="bare", kind="webhook", webhook_url=URL
        )

        # The model as of 0010: later migrations add columns the current model reads.
        new = migrate_to(AFTER).get_model("delivery", "Destination")
        moved = new.objects.get(pk=hook.pk)
        assert (webhook_url(moved), webhook_headers(moved)) == (URL, HEADERS)
        assert moved.kind_secrets_encrypted == token
        moved_bare = new.objects.get(pk=bare.pk)
        assert (webhook_url(moved_bare), webhook_headers(moved_bare)) == (URL, {})

        apps = migrate_to(BEFORE)
        back = apps.get_model("delivery", "Destination").objects.get(pk=hook.pk)
        assert back.webhook_url == URL
        assert decrypt_value(back.webhook_headers_encrypted) == HEADERS
    finally:
        migrate_to_latest()
