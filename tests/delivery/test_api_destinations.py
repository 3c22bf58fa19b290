"""Sources and destinations (webhooks, destination function instances) through the API."""

import pytest

from delivery.kinds.webhook_destination import webhook_headers, webhook_url
from delivery.models import Destination, Source
from functions.instances import instance_settings_decrypted
from tests.api_client import api_for, audit_count, error_of
from tests.factories import WorkspaceFactory, function_factory, source_factory
from workspace.models import ApiToken, AuditEvent

SECRET = [
    {
        "name": "token",
        "label": "Token",
        "description": "",
        "type": "STRING",
        "required": True,
        "sensitive": True,
    }
]


def test_source_crud_answers_write_key(api):
    created = api.post("sources", {"name": "web"}).json()["data"]["source"]
    assert created["writeKey"] == Source.objects.get().write_key
    path = f"sources/{created['id']}"
    assert api.patch(path, {"enabled": False}).json()["data"]["source"]["enabled"] is False
    assert api.get("sources").json()["data"]["pagination"]["totalEntries"] == 1
    assert api.delete(path).json() == {"data": {"status": "SUCCESS"}}
    assert [e.action for e in AuditEvent.objects.all()][:3] == [
        "Source Deleted",
        "Source Updated",
        "Source Created",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "slug"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "a", "enabled": 1}, "enabled"),
        ({"name": "a", "slug": "Not a slug"}, "slug"),
        ({"slug": "a", "settings": []}, "settings"),
        ({"slug": "a", "labels": []}, "labels"),
    ],
)
def test_source_bad_input(api, body, field):
    response = api.post("sources", body)
    assert response.status_code == 422 and error_of(response)["field"] == field
    assert not Source.objects.exists()


def test_source_created_as_the_sdk_sends_it_answers_sdk_fields(api):
    body = {"slug": "my-app", "enabled": True, "metadataId": "IqDTy1TpoU", "settings": {"a": 1}}
    created = api.post("sources", body).json()["data"]["source"]
    source = Source.objects.get()
    assert (created["slug"], created["name"], created["settings"]) == ("my-app", "my-app", {"a": 1})
    assert created["writeKeys"] == [source.write_key]
    assert created["labels"] == []
    assert created["metadata"]["id"] == "IqDTy1TpoU"
    assert created["metadata"]["logos"]["default"]
    got = api.get(f"sources/{source.id}").json()["data"]
    assert got["trackingPlanId"] is None
    assert got["source"]["writeKeys"] == [source.write_key]
    again = api.post("sources", body)
    assert again.status_code == 422 and error_of(again)["field"] == "slug"


def test_source_slug_is_made_from_the_name_and_unique(api):
    first = api.post("sources", {"name": "My Web"}).json()["data"]["source"]
    second = api.post("sources", {"name": "My Web"}).json()["data"]["source"]
    assert (first["slug"], second["slug"]) == ("my-web", "my-web-2")
    path = f"sources/{second['id']}"
    assert api.patch(path, {"slug": "renamed"}).json()["data"]["source"]["slug"] == "renamed"
    clash = api.patch(path, {"slug": "my-web"})
    assert clash.status_code == 422 and error_of(clash)["field"] == "slug"


def test_write_keys_are_only_for_those_who_administer_the_source(workspace):
    from delivery.api.sources import SourceSerializer

    mine, other = source_factory(workspace, name="mine"), source_factory(workspace, name="other")
    admin = api_for(workspace, "source_admin", objects=[mine])
    listed = admin.get("sources").json()["data"]["sources"]
    assert [(s["slug"], s["writeKeys"]) for s in listed] == [("mine", [mine.write_key])]
    assert admin.get(f"sources/{other.id}").status_code == 403
    api_for(workspace, "functions_readonly")
    reader = ApiToken.objects.get(name="functions_readonly token", workspace=workspace)
    context = {"user": reader.user, "workspace": workspace}
    assert SourceSerializer(mine, context=context).data["writeKeys"] == []
    assert SourceSerializer(mine).data["writeKeys"] == []


def test_webhook_destination_masks_headers_and_keeps_them(api, workspace):
    source = source_factory(workspace)
    response = api.post(
        "destinations",
        {
            "sourceId": source.id,
            "metadataId": "webhook",
            "name": "hook",
            "enabled": True,
            "settings": {
                "url": "https://hooks.example/in",
                "headers": {"Authorization": "Bearer abcdefgh1234"},
            },
        },
    )
    destination = response.json()["data"]["destination"]
    assert destination["metadata"]["id"] == "webhook"
    assert destination["settings"]["headers"] == {"Authorization": "••••••••••1234"}
    update = api.patch(
        f"destinations/{destination['id']}",
        {
            "settings": {
                "url": "https://hooks.example/v2",
                "headers": destination["settings"]["headers"],
            }
        },
    )
    assert update.status_code == 200, update.json()
    stored = Destination.objects.get()
    assert webhook_url(stored) == "https://hooks.example/v2"
    assert webhook_headers(stored) == {"Authorization": "Bearer abcdefgh1234"}


def test_destination_function_instance_by_catalog_id(api, workspace):
    source = source_factory(workspace)
    fn = function_factory(workspace, resource_type="DESTINATION", settings_schema=SECRET)
    fn.logo_url = "https://cdn.example.com/logo.png"
    fn.save()
    response = api.post(
        "destinations",
        {"sourceId": source.id, "metadataId": fn.id, "settings": {"token": "tok_0123456789"}},
    )
    destination = response.json()["data"]["destination"]
    metadata = destination["metadata"]
    assert (metadata["id"], metadata["name"], metadata["kind"]) == (
        fn.id,
        fn.display_name,
        "function",
    )
    # The function's own catalog entry: its logo, its settings as the entry's options.
    assert metadata["logos"]["default"] == "https://cdn.example.com/logo.png"
    assert [(o["name"], o["type"], o["required"]) for o in metadata["options"]] == [
        ("token", "string", True)
    ]
    assert metadata["supportedMethods"]["track"] is True
    assert metadata["previousNames"] == [] and metadata["status"] == "PUBLIC"
    assert destination["settings"] == {"token": "••••••••••6789"}
    assert destination["functionInstanceId"]
    patch = api.patch(
        f"destinations/{destination['id']}", {"enabled": False, "settings": destination["settings"]}
    )
    assert patch.json()["data"]["destination"]["enabled"] is False
    instance = Destination.objects.get().function_instance
    assert instance_settings_decrypted(instance) == {"token": "tok_0123456789"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"metadataId": "nope"}, "metadataId"),
        ({"sourceId": "nope"}, "sourceId"),
        ({"settings": {"url": "ftp://x"}}, "settings.url"),
        ({"settings": {"url": "https://x.example", "colour": 1}}, "settings"),
        ({"settings": "https://x.example"}, "settings"),
    ],
)
def test_destination_bad_input_changes_nothing(api, workspace, body, field):
    source = source_factory(workspace)
    before = audit_count()
    full = {
        "sourceId": source.id,
        "metadataId": "webhook",
        "settings": {"url": "https://x.example"},
        **body,
    }
    response = api.post("destinations", full)
    assert response.status_code == 422 and error_of(response)["field"] == field
    assert audit_count() == before and not Destination.objects.exists()


def test_insert_function_as_destination_metadata_is_refused(api, workspace):
    source = source_factory(workspace)
    insert = function_factory(workspace)
    response = api.post(
        "destinations", {"sourceId": source.id, "metadataId": insert.id, "settings": {}}
    )
    assert response.status_code == 422 and error_of(response)["field"] == "metadataId"


def test_destination_delete_and_isolation(api, workspace):
    source = source_factory(workspace)
    created = api.post(
        "destinations",
        {"sourceId": source.id, "metadataId": "webhook", "settings": {"url": "https://x.example"}},
    )
    path = f"destinations/{created.json()['data']['destination']['id']}"
    other = api_for(WorkspaceFactory(), "owner")
    assert other.get(path).status_code == 404
    assert other.delete(path).status_code == 404
    assert other.get(f"sources/{source.id}").status_code == 404
    assert api.delete(path).json() == {"data": {"status": "SUCCESS"}}
    assert AuditEvent.objects.first().action == "Integration Deleted"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-A": "1\r\nX-Injected: 1"}, "header X-A may not contain line breaks (CR, LF) or NUL"),
        ({"X A": "1"}, "header name 'X A' is not a valid HTTP header name"),
    ],
)
def test_webhook_header_that_cannot_be_sent_is_422_when_saved(api, workspace, headers, message):
    source = source_factory(workspace)
    before = audit_count()
    body = {"url": "https://hooks.example/in", "headers": headers}
    response = api.post(
        "destinations",
        {"sourceId": source.id, "metadataId": "webhook", "name": "hook", "settings": body},
    )
    assert response.status_code == 422
    assert error_of(response) == {
        "type": "ValidationFailure",
        "message": f"settings.headers: {message}",
        "field": "settings.headers",
    }
    assert not Destination.objects.exists() and audit_count() == before
