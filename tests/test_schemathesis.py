"""Property-based run of every operation of /api/schema/ (schemathesis over the WSGI app):
no 5xx, every status code, content type, header and body as the schema documents."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from delivery.services import destination_create
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.services import api_token_create

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
# The coverage phase alone sends hundreds of boundary cases per operation; generated
# (fuzzing) and explicit examples keep the run near a minute.
schema.config.phases.coverage.enabled = False

SETTINGS = [
    {
        "name": "apiKey",
        "label": "API key",
        "description": "",
        "type": "STRING",
        "required": False,
        "sensitive": True,
    }
]


@pytest.fixture
def real_ids(workspace):
    """Existing objects, so that some generated calls reach past the 404."""
    insert = function_factory(workspace, settings_schema=SETTINGS)
    dest_fn = function_factory(workspace, resource_type="DESTINATION", display_name="dest fn")
    source = source_factory(workspace)
    hook = webhook_factory(source)
    fn_dest = destination_create(
        kind="function",
        workspace=workspace,
        actor=SYSTEM,
        source=source,
        metadata_id=dest_fn.id,
        name="fn dest",
        settings={},
    )
    from delivery.services import insert_instance_create

    instance = insert_instance_create(
        function=insert,
        destination=hook,
        actor=SYSTEM,
        name="ins",
        settings={"apiKey": "s3cret-value"},
    )
    return {
        "functionId": [insert.api_id, dest_fn.id],
        "versionId": [insert.versions.first().id],
        "instanceId": [instance.id],
        "sourceId": [source.id],
        "destinationId": [hook.id, fn_dest.id],
    }


@pytest.fixture
def owner_header(workspace):
    _, raw = api_token_create(workspace=workspace, name="fuzz", role="owner", actor=SYSTEM)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test Client: the WSGI handler must not close the connection that holds
    the test's transaction."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _unthrottled(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/min"},
    }


def _use_real_ids(case, ids):
    # Alternate between generated ids (404 paths) and real ones (deeper paths).
    for name, value in list((case.path_parameters or {}).items()):
        if name in ids and len(str(value)) % 2 == 0:
            choices = ids[name]
            case.path_parameters[name] = choices[len(str(value)) % len(choices)]


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@seed(20240601)
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, owner_header, real_ids):
    _use_real_ids(case, real_ids)
    case.call_and_validate(headers=owner_header, checks=CHECKS)
