"""Failed admin logins are throttled per username and address (django-axes); the Public
API's bearer tokens are neither throttled by it nor counted."""

import pytest
from axes.models import AccessAttempt

from tests.api_client import api_for
from tests.factories import UserFactory

PASSWORD = "right-password-for-tests"


@pytest.fixture
def staff(db):
    user = UserFactory(username="staff@acme.test", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, password, username="staff@acme.test", address="127.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_sixth_try_with_right_password_is_refused_after_five_failures(client, staff):
    answers = [_login(client, "wrong").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the form again with an error, then locked
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)


def test_login_four_failures_then_right_password_logs_in(client, staff):
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    assert _logged_in(client)


def test_login_lockout_is_per_username_and_address(client, staff):
    for _ in range(5):
        _login(client, "wrong")
    assert _login(client, PASSWORD, address="10.0.0.2").status_code == 302


def test_login_lockout_leaves_bearer_tokens_alone(client, staff, workspace):
    for _ in range(5):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 429
    api = api_for(workspace, "owner")
    assert api.get("sources").status_code == 200
    wrong = api_for(workspace, "owner")
    wrong.client.defaults["HTTP_AUTHORIZATION"] = "Bearer not-a-token"
    for _ in range(10):
        assert wrong.get("sources").status_code == 401
    assert api.get("sources").status_code == 200
    assert AccessAttempt.objects.get().failures_since_start == 6
