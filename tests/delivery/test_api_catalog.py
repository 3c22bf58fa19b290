"""The catalog: webhook and each destination function the caller may see; the source kind."""

from tests.api_client import api_for
from tests.factories import function_factory


def test_destinations_catalog_is_webhook_then_visible_destination_functions(api, workspace):
    shown = function_factory(workspace, resource_type="DESTINATION", display_name="Mine")
    function_factory(workspace, display_name="An insert function")
    data = api.get("catalog/destinations").json()["data"]
    assert [e["id"] for e in data["destinationsCatalog"]] == ["webhook", shown.id]
    assert data["pagination"]["totalEntries"] == 2
    entry = api.get(f"catalog/destinations/{shown.api_id}").json()["data"]["destinationMetadata"]
    assert (entry["id"], entry["name"], entry["categories"]) == (shown.id, "Mine", ["Functions"])


def test_destination_metadata_hides_functions_the_caller_cannot_see(workspace):
    hidden = function_factory(workspace, resource_type="DESTINATION")
    other = function_factory(workspace, resource_type="DESTINATION", display_name="granted")
    reader = api_for(workspace, "functions_readonly", objects=[other])
    assert reader.get(f"catalog/destinations/{hidden.id}").status_code == 404
    assert reader.get(f"catalog/destinations/{other.id}").status_code == 200
    ids = [
        e["id"] for e in reader.get("catalog/destinations").json()["data"]["destinationsCatalog"]
    ]
    assert ids == ["webhook", other.id]


def test_insert_functions_and_unknown_ids_are_no_destination_metadata(api, workspace):
    insert = function_factory(workspace)
    assert api.get(f"catalog/destinations/{insert.id}").status_code == 404
    assert api.get("catalog/destinations/nope").status_code == 404


def test_sources_catalog_has_the_http_api(api):
    [entry] = api.get("catalog/sources").json()["data"]["sourcesCatalog"]
    assert entry["id"] == "http-api" and entry["isCloudEventSource"] is False
    assert api.get("catalog/sources/http-api").json()["data"]["sourceMetadata"] == entry
    assert api.get("catalog/sources/other").status_code == 404
