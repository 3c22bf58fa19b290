"""An insert function's outcomes per event, whichever way the runtime answered: a run whose
every event returned one (its texts read as one JSON array) gives the same outcomes as one
read event by event."""

import pytest

from delivery.kinds.function import returned_events, run_instance
from delivery.services import insert_instance_create
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM

pytestmark = pytest.mark.django_db

BIG = 2**70  # beyond 64 bits: read exactly, as json reads it


def _instance(workspace, code):
    hook = webhook_factory(source_factory(workspace), "http://127.0.0.1:9/a")
    function = function_factory(workspace, code=code)
    return insert_instance_create(
        function=function, destination=hook, actor=SYSTEM, name="i", settings={}
    )


@pytest.mark.parametrize("logs", [False, True])
def test_outcomes_are_the_same_with_or_without_the_run_kept_whole(workspace, logs):
    log = "console.log('n', e.n);" if logs else ""
    code = f"async function onTrack(e) {{ {log} e.seen = 'é\\u2028'; return e }}"
    events = [{"type": "track", "messageId": f"m{n}", "n": n, "big": BIG} for n in range(4)]
    outcomes = run_instance(instance=_instance(workspace, code), kind="insert", events=events)
    assert [(o.status, o.error, o.output) for o in outcomes] == [
        ("success", None, {**event, "seen": "é\u2028"}) for event in events
    ]
    assert [bool(o.logs) for o in outcomes] == [logs] * 4
    assert all(o.requests == [] and not o.timed_out for o in outcomes)


def test_returned_texts_are_read_as_each_alone_would_be():
    texts = ['{"a":1}', '{"b":[1.5,"\\ud800"]}', '{"c":123456789012345678901234}']
    assert returned_events(texts) == [
        {"a": 1},
        {"b": [1.5, "\ud800"]},
        {"c": 123456789012345678901234},
    ]
