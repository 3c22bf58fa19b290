import pytest

from tests.factories import UserFactory, WorkspaceFactory
from workspace.audit import Actor
from workspace.infra import secrets
from workspace.models import Role
from workspace.services import membership_grant

pytest_plugins = ["tests.api_client"]


@pytest.fixture(autouse=True)
def _fresh_encryption_keys(settings, tmp_path):
    """Each test gets its own development key file, so tests never share key state."""
    settings.FUNCTIONS_DEV_KEY_FILE = tmp_path / "dev-encryption-key"
    settings.DEMO_RECEIVER_TOKEN_FILE = tmp_path / "demo-receiver-token"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    secrets.reset_keys()
    yield
    secrets.reset_keys()


@pytest.fixture
def workspace(db):
    return WorkspaceFactory()


@pytest.fixture
def owner(workspace):
    user = UserFactory()
    from workspace.audit import SYSTEM

    membership_grant(workspace=workspace, user=user, role=Role.OWNER, actor=SYSTEM)
    return user


@pytest.fixture
def actor(owner):
    return Actor(user=owner)
