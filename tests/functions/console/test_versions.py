import pytest

from functions.services import function_update
from tests.functions.console.conftest import SECRET, url
from workspace.audit import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(insert_function):
    function_update(
        function=insert_function,
        actor=SYSTEM,
        code="async function onTrack(e) { return null }\n",
        settings_schema=[],
    )
    return insert_function


def test_versions_page_lists_versions_and_diffs_against_current(
    client, workspace, owner, two_versions
):
    client.force_login(owner)
    response = client.get(url(workspace, "function-versions", function_id=two_versions.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "v1" in html and "v2 (current)" in html and "system" in html
    diff = response.context["diff"]
    assert "seen = true" in diff["a"] and "return null" in diff["b"]
    assert "API Key (apiKey)" in diff["settingsA"] and "encrypted" in diff["settingsA"]
    assert diff["settingsB"] == "(no settings)\n"
    assert "Restore version 1" in html


def test_version_restore_makes_newest_version_and_keeps_instances(
    client, workspace, functions_admin, instance, two_versions
):
    client.force_login(functions_admin)
    first = two_versions.versions.get(number=1)
    response = client.post(
        url(workspace, "function-restore", function_id=two_versions.pk, version_id=first.pk),
        follow=True,
    )
    assert response.status_code == 200
    assert "Restored version 1 as version 3" in response.content.decode()
    two_versions.refresh_from_db()
    assert "seen = true" in two_versions.code
    instance.refresh_from_db()
    assert instance.version.number == 1
    assert SECRET not in response.content.decode()


def test_version_restore_refused_for_readonly(client, workspace, readonly, two_versions):
    client.force_login(readonly)
    page = client.get(url(workspace, "function-versions", function_id=two_versions.pk))
    assert page.status_code == 200
    assert "Restore" not in page.content.decode()
    first = two_versions.versions.get(number=1)
    response = client.post(
        url(workspace, "function-restore", function_id=two_versions.pk, version_id=first.pk)
    )
    assert response.status_code == 403
    assert two_versions.versions.count() == 2


def test_versions_other_workspace_is_404(client, workspace, outsider, two_versions):
    client.force_login(outsider)
    assert (
        client.get(url(workspace, "function-versions", function_id=two_versions.pk)).status_code
        == 404
    )


def test_delete_refused_while_instances_exist(client, workspace, owner, insert_function, instance):
    client.force_login(owner)
    response = client.post(url(workspace, "function-delete", function_id=insert_function.pk))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Not deleted" in html and "prod" in html
    insert_function.refresh_from_db()


def test_delete_without_instances_removes_the_function(
    client, workspace, owner, destination_function
):
    client.force_login(owner)
    page = client.get(url(workspace, "function-delete", function_id=destination_function.pk))
    assert "Delete Function" in page.content.decode()
    response = client.post(url(workspace, "function-delete", function_id=destination_function.pk))
    assert response.status_code == 302
    assert not type(destination_function).objects.filter(pk=destination_function.pk).exists()


def test_delete_refused_for_readonly(client, workspace, readonly, destination_function):
    client.force_login(readonly)
    response = client.post(url(workspace, "function-delete", function_id=destination_function.pk))
    assert response.status_code == 403
    assert type(destination_function).objects.filter(pk=destination_function.pk).exists()
