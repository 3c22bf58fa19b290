import json

import pytest

from functions.models import FunctionClass
from tests.functions.console.conftest import SECRET, url

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_new_function_offers_destination_and_insert(client, workspace, owner):
    client.force_login(owner)
    html = client.get(url(workspace, "function-new")).content.decode()
    assert "Select Type" in html
    assert 'value="destination"' in html and 'value="insert"' in html
    assert ">Build<" in html


@pytest.mark.parametrize(
    ("kind", "button", "handler_returns"),
    [("insert", "Next: Configure &amp; Create", True), ("destination", ">Configure<", False)],
)
def test_new_function_build_opens_editor_on_default_template(
    client, workspace, owner, kind, button, handler_returns
):
    client.force_login(owner)
    response = client.get(url(workspace, "function-new"), {"type": kind})
    html = response.content.decode()
    assert response.status_code == 200
    assert button in html
    config = response.context["editor_config"]
    for handler in (
        "onTrack",
        "onIdentify",
        "onGroup",
        "onPage",
        "onScreen",
        "onAlias",
        "onDelete",
    ):
        assert f"async function {handler}(event, settings)" in config["code"]
    assert ("return event;" in config["code"]) is handler_returns
    assert "Use Sample Event" in html and "customize the event yourself" in html


@pytest.mark.parametrize("who", ["readonly", "subset_admin"])
def test_new_function_refused_without_create_role(client, workspace, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(workspace, "function-new"), {"type": "insert"})
    assert response.status_code == 403
    assert b"Creating functions needs" in response.content


def test_function_create_makes_function_and_returns_its_page(client, workspace, superuser):
    client.force_login(superuser)
    response = post(
        client,
        url(workspace, "function-create"),
        {
            "resourceType": "INSERT_DESTINATION",
            "displayName": "Mask emails",
            "description": "Hides PII",
            "logoUrl": "https://cdn.example.com/m.png",
            "code": "async function onTrack(e) { return e }",
            "settingsSchema": [{"name": "salt", "label": "Salt", "type": "STRING"}],
        },
    )
    assert response.status_code == 200
    function = FunctionClass.objects.get(display_name="Mask emails")
    assert response.json()["url"] == url(workspace, "function", function_id=function.pk)
    assert function.logo_url == "https://cdn.example.com/m.png"
    assert function.settings_schema[0]["name"] == "salt"
    assert function.created_by == superuser


def test_function_create_refuses_long_name_with_a_clear_message(client, workspace, owner):
    client.force_login(owner)
    response = post(
        client,
        url(workspace, "function-create"),
        {
            "resourceType": "DESTINATION",
            "displayName": "x" * 121,
            "code": "async function onTrack(){}",
        },
    )
    assert response.status_code == 400
    assert "longer than 120 characters" in response.json()["error"]
    assert not FunctionClass.objects.exists()


def test_function_create_refused_for_readonly(client, workspace, readonly):
    client.force_login(readonly)
    response = post(
        client,
        url(workspace, "function-create"),
        {"resourceType": "DESTINATION", "displayName": "X", "code": "async function onTrack(){}"},
    )
    assert response.status_code == 403
    assert not FunctionClass.objects.exists()


@pytest.mark.parametrize("who", ["owner", "superuser", "functions_admin", "subset_admin"])
def test_function_page_offers_authoring(client, workspace, insert_function, instance, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(workspace, "function", function_id=insert_function.pk))
    html = response.content.decode()
    assert response.status_code == 200
    for label in ("Save", "Save &amp; Deploy", "Versions", "+ Add Setting", ">Run<", ">Test<"):
        assert label in html
    assert SECRET not in html


def test_function_page_readonly_renders_no_write_control(
    client, workspace, readonly, insert_function
):
    client.force_login(readonly)
    response = client.get(url(workspace, "function", function_id=insert_function.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["editor_config"]["mayEdit"] is False
    for control in ('id="save"', 'id="save-deploy"', 'id="add-setting"', 'id="run"', "Delete"):
        assert control not in html
    assert "Versions" in html and "Read-only" in html


def test_function_page_subset_admin_is_refused_other_functions(
    client, workspace, subset_admin, destination_function
):
    # Refused as the Public API refuses it (403), in the console's look.
    client.force_login(subset_admin)
    response = client.get(url(workspace, "function", function_id=destination_function.pk))
    assert response.status_code == 403
    assert destination_function.code not in response.content.decode()


def test_function_page_other_workspace_is_404(client, workspace, outsider, insert_function):
    client.force_login(outsider)
    assert client.get(url(workspace, "function", function_id=insert_function.pk)).status_code == 404
    response = post(
        client, url(workspace, "function-save", function_id=insert_function.pk), {"code": "x"}
    )
    assert response.status_code == 404


def test_function_save_makes_a_version_and_leaves_instances(
    client, workspace, functions_admin, insert_function, instance
):
    client.force_login(functions_admin)
    response = post(
        client,
        url(workspace, "function-save", function_id=insert_function.pk),
        {
            "code": "async function onTrack(e) { return e }",
            "settingsSchema": insert_function.settings_schema,
        },
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    instance.refresh_from_db()
    assert instance.version.number == 1


def test_function_save_refused_for_readonly_keeps_nothing(
    client, workspace, readonly, insert_function
):
    client.force_login(readonly)
    response = post(
        client,
        url(workspace, "function-save", function_id=insert_function.pk),
        {"code": "async function onTrack(e) { return e }"},
    )
    assert response.status_code == 403
    assert "Functions Admin" in response.json()["error"]
    assert insert_function.versions.count() == 1


def test_function_save_bad_setting_name_is_a_message(client, workspace, owner, insert_function):
    client.force_login(owner)
    response = post(
        client,
        url(workspace, "function-save", function_id=insert_function.pk),
        {"code": "async function onTrack(e) {}", "settingsSchema": [{"name": "1bad"}]},
    )
    assert response.status_code == 400
    assert "not a JavaScript identifier" in response.json()["error"]


def test_function_page_deploy_dialog_lists_instances(
    client, workspace, owner, insert_function, instance
):
    client.force_login(owner)
    html = client.get(url(workspace, "function", function_id=insert_function.pk)).content.decode()
    assert "Deploy to prod" in html and "web" in html and "v1" in html


def test_function_deploy_without_source_admin_is_shown_not_selectable(
    client, workspace, functions_admin, insert_function, instance
):
    client.force_login(functions_admin)
    html = client.get(url(workspace, "function", function_id=insert_function.pk)).content.decode()
    assert "Needs the Source Admin role over this source" in html
    response = post(
        client,
        url(workspace, "function-deploy", function_id=insert_function.pk),
        {
            "code": "async function onTrack(e) { return e }",
            "settingsSchema": insert_function.settings_schema,
            "instanceIds": [instance.id],
        },
    )
    assert response.status_code == 403
    # Refused as a whole: not even saved.
    assert insert_function.versions.count() == 1


def test_function_deploy_moves_chosen_instances(
    client, workspace, owner, insert_function, instance
):
    client.force_login(owner)
    response = post(
        client,
        url(workspace, "function-deploy", function_id=insert_function.pk),
        {
            "code": "async function onTrack(e) { return e }",
            "settingsSchema": insert_function.settings_schema,
            "instanceIds": [instance.id],
        },
    )
    assert response.status_code == 200, response.json()
    assert "deployed to 1 instance" in response.json()["message"]
    instance.refresh_from_db()
    assert instance.version.number == 2


def test_function_endpoints_refuse_get(client, workspace, owner, insert_function):
    client.force_login(owner)
    assert (
        client.get(url(workspace, "function-save", function_id=insert_function.pk)).status_code
        == 405
    )
