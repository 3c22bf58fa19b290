"""Cross-cutting Public API behaviour: auth, media types, envelopes, limits, pagination."""

import json

import pytest

from functions.models import FunctionClass
from tests.api_client import Api, api_for, audit_count, error_of
from tests.factories import WorkspaceFactory, function_factory
from workspace.audit import SYSTEM
from workspace.services import api_token_revoke

NEW_FUNCTION = {
    "code": "async function onTrack(e) { return e }",
    "displayName": "Enrich",
    "resourceType": "INSERT_DESTINATION",
}


def test_missing_token_is_401_envelope(db):
    response = Api("").client.get("/api/functions", {"resourceType": "DESTINATION"})
    assert response.status_code == 401
    assert error_of(response)["type"] == "Unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(db):
    response = Api("fnt_nope").get("functions", resourceType="DESTINATION")
    assert response.status_code == 401
    assert "token" in error_of(response)["message"].lower()


def test_revoked_token_is_401(workspace):
    from workspace.models import ApiToken
    from workspace.services import api_token_create

    token, raw = api_token_create(workspace=workspace, name="ci", role="owner", actor=SYSTEM)
    assert Api(raw).get("functions", resourceType="DESTINATION").status_code == 200
    api_token_revoke(workspace=workspace, token=ApiToken.objects.get(pk=token.pk), actor=SYSTEM)
    assert Api(raw).get("functions", resourceType="DESTINATION").status_code == 401


@pytest.mark.parametrize(
    "media_type",
    [
        "application/json",
        "application/vnd.segment.v1+json",
        "application/vnd.segment.v1beta+json",
        "application/vnd.segment.v1alpha+json",
    ],
)
def test_versioned_media_types_are_accepted(api, media_type):
    response = api.client.post(
        "/api/functions",
        data=json.dumps(NEW_FUNCTION),
        content_type=media_type,
        HTTP_ACCEPT=media_type,
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["data"]["function"]["displayName"] == "Enrich"


def test_unsupported_media_type_is_415(api):
    response = api.post("functions", raw=b"code=x", content_type="text/plain")
    assert response.status_code == 415
    assert error_of(response)["type"] == "UnsupportedMediaType"


def test_malformed_json_is_400_and_changes_nothing(api):
    before = audit_count()
    response = api.post("functions", raw=b'{"code": ')
    assert response.status_code == 400
    assert error_of(response) | {"message": ""} == {
        "type": "bad-request",
        "message": "",
        "field": "body",
    }
    assert "Malformed JSON" in error_of(response)["message"]
    assert audit_count() == before and not FunctionClass.objects.exists()


def test_body_over_one_megabyte_is_413(api):
    body = dict(NEW_FUNCTION, code="//" + "x" * (1024 * 1024))
    response = api.post("functions", body)
    assert response.status_code == 413
    assert error_of(response)["field"] == "body"
    assert not FunctionClass.objects.exists()


def test_nul_character_is_refused(api):
    response = api.post("functions", dict(NEW_FUNCTION, description="a\u0000b"))
    assert response.status_code == 400
    assert not FunctionClass.objects.exists()


def test_non_object_body_is_422_naming_body(api):
    response = api.post("functions", [1, 2])
    assert response.status_code == 422
    assert error_of(response)["field"] == "body"


def test_unknown_route_is_404_envelope(api):
    response = api.get("nothing/here")
    assert response.status_code == 404
    assert error_of(response) == {"type": "NotFound", "message": "Resource not found"}


def test_unsupported_method_is_405_with_allow(api):
    response = api.client.put("/api/functions", data="{}", content_type="application/json")
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert error_of(response)["type"] == "MethodNotAllowed"


def test_rate_limit_headers_and_429(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "2/min"},
    }
    first = api.get("sources")
    assert first.status_code == 200
    assert first["X-RateLimit-Consumed"] == "1"
    assert first["X-RateLimit-Remaining"] == "1"
    assert first["X-RateLimit-Reset"].endswith("GMT")
    api.get("sources")
    third = api.get("sources")
    assert third.status_code == 429
    err = error_of(third)
    assert err["type"] == "RateLimited"
    assert err["data"]["remainingPoints"] == 0 and err["data"]["consumedPoints"] == 3
    assert int(third["Retry-After"]) >= 1


def test_rate_limit_is_per_token(workspace, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "1/min"},
    }
    one, two = api_for(workspace, "owner"), api_for(workspace, "owner")
    assert one.get("sources").status_code == 200
    assert one.get("sources").status_code == 429
    assert two.get("sources").status_code == 200


@pytest.fixture
def five_functions(workspace):
    return [function_factory(workspace, display_name=f"fn {i}") for i in range(5)]


def _ids(response):
    return [f["displayName"] for f in response.json()["data"]["functions"]]


def test_pagination_walks_with_cursors(api, five_functions):
    first = api.get("functions", resourceType="INSERT_DESTINATION", **{"pagination[count]": 2})
    page = first.json()["data"]["pagination"]
    assert page == {"current": "MA==", "next": "Mg==", "previous": None, "totalEntries": 5}
    second = api.get(
        "functions",
        resourceType="INSERT_DESTINATION",
        **{"pagination.count": 2, "pagination.cursor": page["next"]},
    )
    assert _ids(second) == ["fn 2", "fn 3"]
    assert second.json()["data"]["pagination"]["previous"] == "MA=="
    last = api.get(
        "functions",
        resourceType="INSERT_DESTINATION",
        **{"pagination[count]": 2, "pagination[cursor]": "NA=="},
    )
    assert _ids(last) == ["fn 4"]
    assert last.json()["data"]["pagination"]["next"] is None


def test_pagination_defaults_to_200(api, five_functions):
    response = api.get("functions", resourceType="INSERT_DESTINATION")
    assert len(_ids(response)) == 5


@pytest.mark.parametrize("count", ["0", "1001", "-3", "ten", "2.5"])
def test_pagination_count_out_of_range_is_422(api, count):
    response = api.get("functions", resourceType="DESTINATION", **{"pagination[count]": count})
    assert response.status_code == 422
    assert error_of(response)["field"] == "pagination.count"


@pytest.mark.parametrize("cursor", ["%%%", "LTE=", "YWJj"])
def test_pagination_bad_cursor_is_422(api, cursor):
    response = api.get("functions", resourceType="DESTINATION", **{"pagination[cursor]": cursor})
    assert response.status_code == 422
    assert error_of(response)["field"] == "pagination.cursor"


def test_schema_and_docs_are_served(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"createInsertFunctionInstance" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_other_workspace_tokens_see_nothing(workspace, api):
    other = api_for(WorkspaceFactory(), "owner")
    function = function_factory(workspace)
    assert other.get(f"functions/{function.api_id}").status_code == 404
    assert (
        other.get("functions", resourceType="INSERT_DESTINATION").json()["data"]["functions"] == []
    )
