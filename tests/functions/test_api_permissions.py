"""Role x action x scope: what each kind of token may do (403 inside its workspace)."""

import pytest

from delivery.services import insert_instance_create
from tests.api_client import Api, api_for
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import ApiToken, Role
from workspace.services import membership_grant

ROLES = {
    "owner": ("owner", None),
    "fn_admin_all": ("functions_admin", None),
    "fn_admin_listed": ("functions_admin", "A"),
    "fn_readonly_all": ("functions_readonly", None),
    "fn_readonly_listed": ("functions_readonly", "A"),
    "src_admin_all": ("source_admin", None),
    "src_admin_listed": ("source_admin", "S"),
}


@pytest.fixture
def world(workspace):
    fa = function_factory(workspace, display_name="A")
    fb = function_factory(workspace, display_name="B")
    s, t = source_factory(workspace, "S"), source_factory(workspace, "T")
    hooks = {
        "S": webhook_factory(s, "https://s.example/"),
        "T": webhook_factory(t, "https://t.example/"),
        "S2": webhook_factory(s, "https://s2.example/"),
    }
    instance = insert_instance_create(
        function=fa, destination=hooks["S"], actor=SYSTEM, name="on S", settings={}
    )
    return {"A": fa, "B": fb, "S": s, "T": t, "hooks": hooks, "instance": instance}


def token(workspace, world, key):
    role, listed = ROLES[key]
    return api_for(workspace, role, [world[listed]] if listed else None)


ALL = set(ROLES)
FN_VIEWERS_A = {"owner", "fn_admin_all", "fn_admin_listed", "fn_readonly_all", "fn_readonly_listed"}
EXPECTED = {
    "view_A": FN_VIEWERS_A,
    "view_B": {"owner", "fn_admin_all", "fn_readonly_all"},
    "edit_A": {"owner", "fn_admin_all", "fn_admin_listed"},
    "edit_B": {"owner", "fn_admin_all"},
    "create_function": {"owner", "fn_admin_all"},
    "connect_A_to_S": {"owner"},
    "toggle_instance_on_S": {"owner", "src_admin_all", "src_admin_listed"},
    "deploy_A_to_S": {"owner"},
    "deploy_B_without_instances": {"owner", "fn_admin_all"},
    "create_source": {"owner", "src_admin_all"},
    "edit_source_S": {"owner", "src_admin_all", "src_admin_listed"},
    "edit_source_T": {"owner", "src_admin_all"},
    "webhook_on_S": {"owner", "src_admin_all", "src_admin_listed"},
    "read_audit_trail": {"owner"},
}


def act(api: Api, world, action):
    a, b, s, t = world["A"], world["B"], world["S"], world["T"]
    match action:
        case "view_A":
            return api.get(f"functions/{a.api_id}")
        case "view_B":
            return api.get(f"functions/{b.api_id}")
        case "edit_A":
            return api.patch(f"functions/{a.api_id}", {"description": "x"})
        case "edit_B":
            return api.patch(f"functions/{b.api_id}", {"description": "x"})
        case "create_function":
            return api.post(
                "functions",
                {
                    "code": "async function onTrack(e){return e}",
                    "displayName": "new",
                    "resourceType": "INSERT_DESTINATION",
                },
            )
        case "connect_A_to_S":
            return api.post(
                "insert-function-instances",
                {
                    "functionId": a.id,
                    "integrationId": world["hooks"]["S2"].id,
                    "name": "n",
                    "settings": {},
                },
            )
        case "toggle_instance_on_S":
            return api.patch(
                f"insert-function-instances/{world['instance'].id}", {"enabled": False}
            )
        case "deploy_A_to_S":
            return api.post(f"functions/{a.api_id}/deploy")
        case "deploy_B_without_instances":
            return api.post(f"functions/{b.api_id}/deploy")
        case "create_source":
            return api.post("sources", {"name": "new"})
        case "edit_source_S":
            return api.patch(f"sources/{s.id}", {"name": "S!"})
        case "edit_source_T":
            return api.patch(f"sources/{t.id}", {"name": "T!"})
        case "webhook_on_S":
            return api.post(
                "destinations",
                {
                    "sourceId": s.id,
                    "metadataId": "webhook",
                    "settings": {"url": "https://x.example/"},
                },
            )
        case "read_audit_trail":
            return api.get("audit-events")
    raise AssertionError(action)


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_permission_matrix(workspace, world, role, action):
    response = act(token(workspace, world, role), world, action)
    expected = 200 if role in EXPECTED[action] else 403
    assert response.status_code == expected, (role, action, response.json())
    if expected == 403:
        assert response.json()["errors"][0]["type"] == "Forbidden"


def test_functions_admin_with_source_admin_can_connect_and_deploy(workspace, world):
    api = token(workspace, world, "fn_admin_listed")
    user = ApiToken.objects.latest("created_at").user
    membership_grant(
        workspace=workspace, user=user, role=Role.SOURCE_ADMIN, actor=SYSTEM, objects=[world["S"]]
    )
    assert act(api, world, "connect_A_to_S").status_code == 200
    assert act(api, world, "deploy_A_to_S").status_code == 200


@pytest.mark.parametrize("role", ["fn_readonly_all", "fn_readonly_listed"])
def test_readonly_lists_only_what_it_may_see(workspace, world, role):
    api = token(workspace, world, role)
    names = [
        f["displayName"]
        for f in api.get("functions", resourceType="INSERT_DESTINATION").json()["data"]["functions"]
    ]
    assert names == (["A", "B"] if role.endswith("all") else ["A"])
