import pytest

from tests.functions.console.conftest import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["catalog", "functions"])
@pytest.mark.parametrize("who", ["owner", "superuser", "functions_admin"])
def test_catalog_lists_functions_with_new_function(client, workspace, instance, page, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(workspace, page))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enrich" in html and "Insert" in html
    assert "New Function" in html
    assert "1 instance" in html or ">1<" in html


def test_catalog_shows_logo_and_description(client, workspace, owner, insert_function):
    from functions.services import function_update
    from workspace.audit import SYSTEM

    function_update(
        function=insert_function,
        actor=SYSTEM,
        logo_url="https://cdn.example.com/enrich.png",
        description="Adds the account tier",
    )
    client.force_login(owner)
    html = client.get(url(workspace, "catalog")).content.decode()
    assert 'src="https://cdn.example.com/enrich.png"' in html
    assert "Adds the account tier" in html


def test_catalog_subset_admin_sees_only_granted_functions(
    client, workspace, subset_admin, insert_function, destination_function
):
    client.force_login(subset_admin)
    for page in ("catalog", "functions"):
        html = client.get(url(workspace, page)).content.decode()
        assert "Enrich" in html
        assert "Send" not in html
    # Functions Admin of a subset may not create functions.
    assert "New Function" not in html


def test_catalog_readonly_sees_functions_without_new_function(
    client, workspace, readonly, insert_function
):
    client.force_login(readonly)
    html = client.get(url(workspace, "catalog")).content.decode()
    assert "Enrich" in html
    assert "New Function" not in html


def test_catalog_other_workspace_member_gets_404(client, workspace, outsider, insert_function):
    client.force_login(outsider)
    assert client.get(url(workspace, "catalog")).status_code == 404
    assert client.get(url(workspace, "functions")).status_code == 404
