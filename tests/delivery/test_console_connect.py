"""Connect screens: insert function → destination, destination function → source, settings
of a connection (secrets masked, masked value keeps the secret), disconnect, per role."""

import pytest

from delivery.models import Destination
from functions.instances import instance_settings_decrypted
from functions.models import FunctionInstance
from tests.console_pages import base, client_for, write_forms
from tests.console_world import SECRET_DEST_SETTING, SECRET_SETTING, build_world
from workspace.audit import SYSTEM
from workspace.models import AuditEvent, Role
from workspace.services import membership_grant

pytestmark = pytest.mark.django_db

CONNECT_VIEWERS = {
    "owner": 200,
    "superuser": 200,
    "functions_admin": 200,
    "functions_admin_subset": 200,
    "readonly": 200,
    "source_admin": 403,
    "source_admin_subset": 403,
    "outsider": 404,
}


@pytest.fixture
def world(db):
    return build_world()


def _connect_url(world, function):
    return f"{base(world)}/functions/{function.id}/connect/"


def _settings_url(world, function, instance):
    return f"{base(world)}/functions/{function.id}/instances/{instance.id}/settings/"


@pytest.mark.parametrize(("role", "status"), CONNECT_VIEWERS.items())
def test_connect_page_per_role(world, role, status):
    response = client_for(world, role).get(_connect_url(world, world.enrich))
    assert response.status_code == status
    if status == 200:
        assert "Web hook" in response.content.decode()


def test_connect_page_hides_unchosen_function_from_subset_admin(world):
    client = client_for(world, "functions_admin_subset")
    assert client.get(_connect_url(world, world.other)).status_code == 403


def test_connect_page_offers_destinations_to_owner(world):
    html = client_for(world, "owner").get(_connect_url(world, world.enrich)).content.decode()
    assert "Connect a destination" in html and "Connect to destination" in html
    # Web hook already has an insert function: one per destination.
    assert world.spare_hook.id in html and f'value="{world.web_hook.id}"' not in html


@pytest.mark.parametrize("role", ["readonly", "functions_admin"])
def test_connect_page_without_source_admin_renders_no_write_control(world, role):
    html = client_for(world, role).get(_connect_url(world, world.enrich)).content.decode()
    assert "Connect a destination" not in html
    assert "Disconnect" not in html
    assert write_forms(html) == []


def test_connect_settings_form_masks_nothing_yet_and_uses_password_for_secret(world):
    url = f"{_connect_url(world, world.enrich)}settings/?target={world.spare_hook.id}"
    html = client_for(world, "owner").get(url).content.decode()
    assert 'type="password" name="setting_apiKey"' in html
    assert 'name="setting_region"' in html and 'type="checkbox" name="setting_verbose"' in html


def test_connect_insert_function_creates_disabled_instance_with_encrypted_secret(world):
    url = f"{_connect_url(world, world.enrich)}settings/?target={world.spare_hook.id}"
    response = client_for(world, "owner").post(
        url,
        {"name": "Enrich spare", "setting_apiKey": "sk_new_secret_1234", "setting_region": "us"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/destinations/{world.spare_hook.id}/functions/")
    instance = FunctionInstance.objects.get(attached_destination=world.spare_hook)
    assert instance.enabled is False
    assert instance.settings == {"region": "us", "verbose": False}
    assert "sk_new_secret_1234" not in str(instance.encrypted_settings)
    assert instance_settings_decrypted(instance)["apiKey"] == "sk_new_secret_1234"
    event = AuditEvent.objects.get(resource_id=instance.id)
    assert event.action == "Insert Function Instance Created"
    assert event.actor == world.users["owner"].username


def test_connect_missing_required_setting_keeps_the_form(world):
    url = f"{_connect_url(world, world.enrich)}settings/?target={world.spare_hook.id}"
    response = client_for(world, "owner").post(url, {"name": "x", "setting_region": "typed"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and 'value="typed"' in html
    assert not FunctionInstance.objects.filter(attached_destination=world.spare_hook).exists()


def test_connect_masked_value_without_stored_secret_is_refused(world):
    url = f"{_connect_url(world, world.enrich)}settings/?target={world.spare_hook.id}"
    response = client_for(world, "owner").post(
        url, {"name": "x", "setting_apiKey": "••••••••••abcd"}
    )
    assert response.status_code == 400
    assert "a masked value was sent but no secret is stored" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 302),
        ("superuser", 302),
        ("functions_admin", 403),
        ("functions_admin_subset", 403),
        ("readonly", 403),
        ("source_admin", 403),
        ("source_admin_subset", 403),
        ("outsider", 404),
    ],
)
def test_connect_forged_post_per_role(world, role, status):
    url = f"{_connect_url(world, world.enrich)}settings/?target={world.spare_hook.id}"
    response = client_for(world, role).post(url, {"name": "x", "setting_apiKey": "k"})
    assert response.status_code == status
    connected = FunctionInstance.objects.filter(attached_destination=world.spare_hook).exists()
    assert connected is (status == 302)
    if status == 403:
        assert "Not allowed" in response.content.decode()


def test_connect_needs_function_role_and_source_admin_together(world):
    user = world.users["functions_admin_subset"]
    membership_grant(
        workspace=world.workspace,
        user=user,
        role=Role.SOURCE_ADMIN,
        actor=SYSTEM,
        objects=[world.web],
    )
    client = client_for(world, "functions_admin_subset")
    spare = f"{_connect_url(world, world.enrich)}settings/?target={world.spare_hook.id}"
    assert client.post(spare, {"name": "x", "setting_apiKey": "k"}).status_code == 302
    app = f"{_connect_url(world, world.enrich)}settings/?target={world.app_hook.id}"
    assert client.post(app, {"name": "x", "setting_apiKey": "k"}).status_code == 403


def test_connect_destination_function_to_source_makes_a_destination(world):
    url = f"{_connect_url(world, world.forward)}settings/?target={world.web.id}"
    client = client_for(world, "owner")
    assert "Connect a source" in client.get(_connect_url(world, world.forward)).content.decode()
    response = client.post(url, {"name": "Forward on web", "setting_token": "tok_secret_9999"})
    assert response.status_code == 302
    destination = Destination.objects.get(source=world.web, name="Forward on web")
    assert destination.function_instance.function == world.forward
    assert response["Location"].endswith(f"/destinations/{destination.id}/")


def test_connect_unknown_target_is_404(world):
    url = f"{_connect_url(world, world.enrich)}settings/?target=nope"
    assert client_for(world, "owner").get(url).status_code == 404


def test_instance_settings_show_masked_secret_and_keep_it_when_sent_back(world):
    client = client_for(world, "owner")
    url = _settings_url(world, world.enrich, world.enrich_on_web)
    html = client.get(url).content.decode()
    assert SECRET_SETTING not in html
    masked = "•" * 10 + SECRET_SETTING[-4:]
    assert f'value="{masked}"' in html
    response = client.post(url, {"setting_apiKey": masked, "setting_region": "ap"})
    assert response.status_code == 302
    world.enrich_on_web.refresh_from_db()
    values = instance_settings_decrypted(world.enrich_on_web)
    assert values["apiKey"] == SECRET_SETTING and values["region"] == "ap"


def test_instance_settings_new_secret_replaces_the_stored_one(world):
    url = _settings_url(world, world.enrich, world.enrich_on_web)
    client_for(world, "source_admin_subset").post(url, {"setting_apiKey": "sk_rotated_0001"})
    world.enrich_on_web.refresh_from_db()
    assert instance_settings_decrypted(world.enrich_on_web)["apiKey"] == "sk_rotated_0001"


@pytest.mark.parametrize(
    ("role", "get_status", "post_status"),
    [
        ("owner", 200, 302),
        ("superuser", 200, 302),
        ("functions_admin", 200, 403),
        ("functions_admin_subset", 200, 403),
        ("readonly", 200, 403),
        ("source_admin", 200, 302),
        ("source_admin_subset", 200, 302),
        ("outsider", 404, 404),
    ],
)
def test_instance_settings_per_role(world, role, get_status, post_status):
    client = client_for(world, role)
    url = _settings_url(world, world.enrich, world.enrich_on_web)
    response = client.get(url)
    assert response.status_code == get_status
    if get_status == 200:
        assert SECRET_SETTING not in response.content.decode()
        assert bool(write_forms(response.content.decode())) is (post_status == 302)
    assert client.post(url, {"setting_apiKey": "sk_x_0002"}).status_code == post_status


def test_instance_settings_of_app_source_refused_to_subset_source_admin(world):
    instance = world.forward_on_app.function_instance
    url = _settings_url(world, world.forward, instance)
    assert client_for(world, "source_admin_subset").get(url).status_code == 403
    html = client_for(world, "owner").get(url).content.decode()
    assert SECRET_DEST_SETTING not in html


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 302),
        ("superuser", 302),
        ("functions_admin", 403),
        ("readonly", 403),
        ("source_admin", 302),
        ("source_admin_subset", 302),
        ("outsider", 404),
    ],
)
def test_disconnect_insert_function_per_role(world, role, status):
    url = (
        f"{base(world)}/functions/{world.enrich.id}/instances/{world.enrich_on_web.id}/disconnect/"
    )
    assert client_for(world, role).post(url).status_code == status
    gone = not FunctionInstance.objects.filter(pk=world.enrich_on_web.pk).exists()
    assert gone is (status == 302)


def test_disconnect_is_post_only(world):
    url = (
        f"{base(world)}/functions/{world.enrich.id}/instances/{world.enrich_on_web.id}/disconnect/"
    )
    assert client_for(world, "owner").get(url).status_code == 405
    assert client_for(world, "outsider").get(url).status_code == 404


def test_disconnect_destination_function_removes_its_destination(world):
    instance = world.forward_on_app.function_instance
    url = f"{base(world)}/functions/{world.forward.id}/instances/{instance.id}/disconnect/"
    response = client_for(world, "owner").post(url)
    assert response["Location"].endswith(f"/functions/{world.forward.id}/connect/")
    assert not Destination.objects.filter(pk=world.forward_on_app.pk).exists()
    assert AuditEvent.objects.filter(action="Integration Deleted").exists()
