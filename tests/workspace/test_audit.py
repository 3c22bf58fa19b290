import pytest

from tests.factories import function_factory
from workspace.audit import SYSTEM, audit_record
from workspace.models import AuditEvent


def test_audit_event_update_refused(workspace):
    function_factory(workspace)
    event = AuditEvent.objects.filter(workspace=workspace).first()
    event.action = "Tampered"
    with pytest.raises(TypeError, match="append-only"):
        event.save()


def test_audit_event_delete_refused(workspace):
    function_factory(workspace)
    event = AuditEvent.objects.filter(workspace=workspace).first()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()


def test_audit_queryset_update_and_delete_refused(workspace):
    function_factory(workspace)
    events = AuditEvent.objects.filter(workspace=workspace)
    with pytest.raises(TypeError):
        events.update(action="Tampered")
    with pytest.raises(TypeError):
        events.delete()
    assert list(events.values_list("action", flat=True)) == ["Function Created"]


@pytest.mark.django_db(transaction=True)
def test_audit_record_requires_atomic_block(workspace):
    with pytest.raises(RuntimeError, match="transaction"):
        audit_record(
            workspace=workspace, actor=SYSTEM, action="X", resource_type="T", resource_id="1"
        )
