"""Sources, destinations and the destination's Functions tab (Enable Function), per role."""

import pytest

from functions.models import FunctionInstance
from tests.console_pages import base, client_for, write_forms
from tests.console_world import (
    SECRET_DEST_SETTING,
    SECRET_HEADER,
    SECRET_SETTING,
    SECRET_URL_PART,
    build_world,
)
from workspace.models import AuditEvent

pytestmark = pytest.mark.django_db

SOURCE_ADMINS = {
    "owner": 200,
    "superuser": 200,
    "functions_admin": 403,
    "functions_admin_subset": 403,
    "readonly": 403,
    "source_admin": 200,
    "source_admin_subset": 200,
    "outsider": 404,
}


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize("role", SOURCE_ADMINS)
def test_sources_list_shows_administered_sources(world, role):
    response = client_for(world, role).get(f"{base(world)}/sources/")
    if role == "outsider":
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert response.status_code == 200
    assert ("Web" in html) is (SOURCE_ADMINS[role] == 200)
    assert (">App<" in html) is (SOURCE_ADMINS[role] == 200 and role != "source_admin_subset")


@pytest.mark.parametrize(("role", "status"), SOURCE_ADMINS.items())
def test_source_page_shows_write_key_to_source_admins(world, role, status):
    response = client_for(world, role).get(f"{base(world)}/sources/{world.web.id}/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert world.web.write_key in html and "Web hook" in html


def test_source_page_of_other_source_refused_to_subset_source_admin(world):
    client = client_for(world, "source_admin_subset")
    assert client.get(f"{base(world)}/sources/{world.app.id}/").status_code == 403


@pytest.mark.parametrize("role", SOURCE_ADMINS)
def test_destinations_list_per_role(world, role):
    response = client_for(world, role).get(f"{base(world)}/destinations/")
    if role == "outsider":
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert ("Web hook" in html) is (SOURCE_ADMINS[role] == 200)
    assert ("App hook" in html) is (SOURCE_ADMINS[role] == 200 and role != "source_admin_subset")


@pytest.mark.parametrize(("role", "status"), SOURCE_ADMINS.items())
def test_destination_page_masks_webhook_url_and_headers(world, role, status):
    response = client_for(world, role).get(f"{base(world)}/destinations/{world.web_hook.id}/")
    assert response.status_code == status
    html = response.content.decode()
    assert SECRET_URL_PART not in html and SECRET_HEADER not in html
    if status == 200:
        assert "https://hooks.example.com/••••" in html and "Authorization" in html


def test_destination_page_of_destination_function_masks_its_secret(world):
    response = client_for(world, "owner").get(
        f"{base(world)}/destinations/{world.forward_on_app.id}/"
    )
    html = response.content.decode()
    assert "Forward" in html and "v1" in html and "Disconnect" in html
    assert SECRET_DEST_SETTING not in html and "•" * 10 + SECRET_DEST_SETTING[-4:] in html


@pytest.mark.parametrize(("role", "status"), SOURCE_ADMINS.items())
def test_functions_tab_shows_insert_function_version_and_masked_settings(world, role, status):
    url = f"{base(world)}/destinations/{world.web_hook.id}/functions/"
    response = client_for(world, role).get(url)
    assert response.status_code == status
    if status != 200:
        return
    html = response.content.decode()
    assert "Enrich" in html and "v1" in html and "eu" in html
    assert SECRET_SETTING not in html and "•" * 10 + SECRET_SETTING[-4:] in html
    assert 'role="switch"' in html and "Enable Function" in html
    assert "Insert Function Instance Created by system" in html


def test_functions_tab_without_insert_offers_connecting_one(world):
    url = f"{base(world)}/destinations/{world.spare_hook.id}/functions/"
    html = client_for(world, "owner").get(url).content.decode()
    assert "No insert function" in html and "Connect Enrich" in html and "Connect Other" in html


def _enable(world, role, value="true"):
    url = f"{base(world)}/destinations/{world.web_hook.id}/functions/enable/"
    return client_for(world, role).post(url, {"enabled": value})


@pytest.mark.parametrize(
    ("role", "status"), [(r, 302 if s == 200 else s) for r, s in SOURCE_ADMINS.items()]
)
def test_enable_function_per_role(world, role, status):
    assert _enable(world, role).status_code == status
    world.enrich_on_web.refresh_from_db()
    assert world.enrich_on_web.enabled is (status == 302)


def test_enable_then_disable_records_who_changed_it(world):
    _enable(world, "source_admin_subset")
    event = AuditEvent.objects.filter(resource_id=world.enrich_on_web.id).first()
    assert event.action == "Insert Function Instance Enabled"
    url = f"{base(world)}/destinations/{world.web_hook.id}/functions/"
    html = client_for(world, "owner").get(url).content.decode()
    assert "Insert Function Instance Enabled by source_admin_subset@acme.test" in html
    assert 'aria-checked="true"' in html and ">Disable</button>" in html
    _enable(world, "owner", "false")
    world.enrich_on_web.refresh_from_db()
    assert world.enrich_on_web.enabled is False


def test_enable_dialog_asks_enable_for_a_disabled_function(world):
    url = f"{base(world)}/destinations/{world.web_hook.id}/functions/"
    html = client_for(world, "owner").get(url).content.decode()
    assert 'aria-checked="false"' in html and ">Enable</button>" in html
    assert '<input type="hidden" name="enabled" value="true">' in html


@pytest.mark.parametrize(
    ("role", "status"), [(r, 302 if s == 200 else s) for r, s in SOURCE_ADMINS.items()]
)
def test_disconnect_from_destination_side_per_role(world, role, status):
    url = f"{base(world)}/destinations/{world.web_hook.id}/functions/disconnect/"
    assert client_for(world, role).post(url).status_code == status
    gone = not FunctionInstance.objects.filter(pk=world.enrich_on_web.pk).exists()
    assert gone is (status == 302)


def test_disconnect_destination_function_from_destination_page(world):
    url = f"{base(world)}/destinations/{world.forward_on_app.id}/disconnect/"
    assert client_for(world, "source_admin_subset").post(url).status_code == 403
    assert client_for(world, "source_admin").post(url).status_code == 302
    assert not FunctionInstance.objects.filter(function=world.forward).exists()


def test_disconnect_of_webhook_destination_is_404(world):
    url = f"{base(world)}/destinations/{world.app_hook.id}/disconnect/"
    assert client_for(world, "owner").post(url).status_code == 404


def test_enable_on_destination_without_insert_is_404(world):
    url = f"{base(world)}/destinations/{world.spare_hook.id}/functions/enable/"
    assert client_for(world, "owner").post(url, {"enabled": "true"}).status_code == 404


def test_functions_tab_for_subset_source_admin_of_other_source_is_403(world):
    url = f"{base(world)}/destinations/{world.app_hook.id}/functions/"
    response = client_for(world, "source_admin_subset").get(url)
    assert response.status_code == 403
    assert write_forms(response.content.decode()) == []
