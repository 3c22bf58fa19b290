from __future__ import annotations

import json
from typing import Any

from functions.runtime.sandbox import LITERAL_MAX_CHARS
from tests.functions.runtime.conftest import run

SEED_BATCH_FILTER = """
async function onBatch(events, settings) {
  let response = [];
  try {
    for (const event of events) {
      if (event.event === 'drop') {
        continue
      }
      event.properties.enriched = "Enriched from insert function";
      response.push(event)
    }
  } catch (error) {
    throw new RetryError('Failed function', error);
  }
  return response;
}
"""

SEED_INSERT_GROUPING = """
async function onBatch(events, settings) {
  const eventsByType = {}
  for (const event of events) {
    if (!(event.type in eventsByType)) {
      eventsByType[event.type] = []
    }
    eventsByType[event.type].push(event)
  }
  const promises = Object.entries(eventsByType).map(([type, events]) => {
    switch (type) {
    case 'track':
      return onTrackBatch(events, settings)
    case 'identify':
      return onIdentifyBatch(events, settings)
    }
  })
  try {
    const results = await Promise.all(promises);
    const batchResult = [].concat(...results);
    return batchResult;
  } catch (error) {
    throw new RetryError(error.message);
  }
}
async function onTrackBatch(events, settings) {
  return events
}
async function onIdentifyBatch(events, settings) {
  return events.map(e => ({...e, traits: {...e.traits, seen: true}}))
}
"""


def _events(*names: str) -> list[dict]:
    return [
        {"type": "track", "event": name, "messageId": f"m{i}", "properties": {}}
        for i, name in enumerate(names)
    ]


def test_onbatch_seed_filtering_example_marks_left_out_events_filtered() -> None:
    result = run(SEED_BATCH_FILTER, _events("keep", "drop", "keep2"), batch=True)
    assert [r.status for r in result.results] == ["success", "filtered", "success"]
    assert result.results[2].output["properties"] == {"enriched": "Enriched from insert function"}


def test_onbatch_seed_grouping_example_matches_by_message_id() -> None:
    events = [
        {"type": "identify", "messageId": "a", "traits": {}},
        {"type": "track", "messageId": "b"},
        {"type": "identify", "messageId": "c", "traits": {}},
    ]
    result = run(SEED_INSERT_GROUPING, events, batch=True)
    assert [r.status for r in result.results] == ["success"] * 3
    assert result.results[0].output == {
        "type": "identify",
        "messageId": "a",
        "traits": {"seen": True},
    }
    assert result.results[1].output == {"type": "track", "messageId": "b"}


def test_onbatch_without_message_ids_matches_by_position() -> None:
    code = "async function onBatch(events) { return events.map(e => ({...e, n: 1})) }"
    result = run(code, [{"type": "track"}, {"type": "page"}], batch=True)
    assert [r.output for r in result.results] == [
        {"type": "track", "n": 1},
        {"type": "page", "n": 1},
    ]


def test_onbatch_is_called_once_for_the_whole_batch() -> None:
    code = (
        "async function onBatch(events) { console.log('batch of', events.length); return events }"
    )
    result = run(code, _events("a", "b", "c"), batch=True)
    assert result.logs == ["batch of 3"]
    assert all(r.logs == ["batch of 3"] for r in result.results)


def test_onbatch_throw_applies_to_every_event() -> None:
    code = "async function onBatch(events) { throw new RetryError('later') }"
    result = run(code, _events("a", "b"), batch=True)
    assert [(r.status, r.error["message"]) for r in result.results] == [("retry", "later")] * 2


def test_onbatch_destination_statuses_per_event() -> None:
    code = """async function onBatch(events) {
      return [{status: 200}, {status: 400, errorMessage: 'Bad Request'}, {status: 200},
              {status: 500, errorMessage: 'Error processing request'}, {status: 429}]
    }"""
    result = run(code, _events("1", "2", "3", "4", "5"), kind="destination", batch=True)
    assert [r.status for r in result.results] == [
        "success",
        "bad_request",
        "success",
        "retry",
        "retry",
    ]
    assert result.results[1].error["message"] == "Bad Request"


def test_onbatch_destination_grouping_example_succeeds() -> None:
    code = """async function onBatch(events, settings) {
      const eventsByType = {}
      for (const event of events) {
        if (!(event.type in eventsByType)) { eventsByType[event.type] = [] }
        eventsByType[event.type].push(event)
      }
      const promises = Object.entries(eventsByType).map(([type, events]) => {
        switch (type) {
          case 'track': return onTrackBatch(events, settings)
          case 'identify': return onIdentifyBatch(events, settings)
        }
      })
      return Promise.all(promises)
    }
    async function onTrackBatch(events, settings) {}
    async function onIdentifyBatch(events, settings) {}"""
    events = [{"type": "identify"}, {"type": "track"}, {"type": "track"}]
    result = run(code, events, kind="destination", batch=True)
    assert [r.status for r in result.results] == ["success"] * 3


def test_batch_without_onbatch_isolates_each_event() -> None:
    code = """async function onTrack(e) {
      console.log('handling', e.event)
      if (e.event === 'bad') throw new ValidationError('nope')
      await null; await null
      console.log('done', e.event)
      return e
    }"""
    result = run(code, _events("a", "bad", "c"), batch=True)
    assert [r.status for r in result.results] == ["success", "message_rejected", "success"]
    assert result.results[0].logs == ["handling a", "done a"]
    assert result.results[1].logs == ["handling bad"]
    assert result.results[2].logs == ["handling c", "done c"]


def test_batch_false_with_onbatch_uses_single_handlers() -> None:
    code = "async function onBatch(e) { return [] }\nasync function onTrack(e) { return e }"
    result = run(code, _events("a"))
    assert result.results[0].status == "success"


def _large_batch(count: int) -> list[dict[str, Any]]:
    return [
        {"type": "track", "event": f"e{i}", "messageId": f"m{i}", "properties": {"n": i}}
        for i in range(count)
    ]


def test_large_batch_goes_in_as_an_argument_and_keeps_each_event_apart() -> None:
    # Far over LITERAL_MAX_CHARS: the payload is a call argument, not script text.
    events = _large_batch(600)
    assert len(json.dumps(events)) > 2 * LITERAL_MAX_CHARS
    code = """async function onTrack(e, settings) {
      settings.touched = (settings.touched || 0) + 1
      if (e.properties.n === 7) throw new ValidationError('seven')
      if (e.properties.n === 8) return 'not an event'
      if (e.properties.n === 9) return
      if (e.properties.n === 10) console.log('ten', settings.touched)
      e.properties.seen = settings.touched
      return e
    }"""
    for _ in range(3):  # the second and later runs reuse the warm context
        result = run(code, events, batch=True, settings={"k": "v"}, cache_key="large-batch")
        statuses = [r.status for r in result.results]
        assert statuses[7:11] == ["message_rejected", "bad_request", "filtered", "success"]
        assert statuses.count("success") == 597
        assert result.results[7].error == {"type": "ValidationError", "message": "seven"}
        assert result.results[10].logs == ["ten 1"]
        assert result.logs == ["ten 1"]
        assert all(not r.logs for i, r in enumerate(result.results) if i != 10)
        # Each event got its own copy of the settings.
        assert {r.output["properties"]["seen"] for r in result.results if r.output} == {1}
        assert result.results[599].output == {**events[599], "properties": {"n": 599, "seen": 1}}


def test_large_batch_one_spinning_event_times_out_alone() -> None:
    events = _large_batch(400)
    code = "async function onTrack(e) { if (e.properties.n === 5) while (true) {} return e }"
    result = run(code, events, batch=True, timeout_ms=300, cache_key="large-spin")
    statuses = [r.status for r in result.results]
    assert statuses[:6] == ["success"] * 5 + ["timeout"]
    # The others ran, or were handed back unrun once the run's kill budget was spent.
    assert set(statuses[6:]) <= {"success", "retry"}


def test_returned_integers_beyond_64_bits_stay_exact() -> None:
    code = """async function onTrack(e) {
      e.properties.big = 123456789012345680000
      e.properties.low = -9223372036854775809
      e.properties.max = Number.MAX_SAFE_INTEGER
      return e
    }"""
    for events in (_large_batch(1), _large_batch(300)):
        result = run(code, events, batch=True)
        properties = result.results[0].output["properties"]
        assert properties["big"] == 123456789012345680000
        assert isinstance(properties["big"], int)
        # 19 digits, below -2**63: JSON.stringify writes -9223372036854776000.
        assert properties["low"] == -9223372036854776000
        assert isinstance(properties["low"], int)
        assert properties["max"] == 2**53 - 1


def test_large_batch_input_cannot_be_hooked_through_the_inbox() -> None:
    # The long input is written into the driver's inbox (no prototype, sealed): a
    # setter user code puts on Object.prototype, or tries to put on the inbox, sees
    # nothing and changes nothing.
    code = """
    const seen = []
    const hook = { set(v) { seen.push(String(v).length) }, configurable: true }
    Object.defineProperty(Object.prototype, 'input', hook)
    const inbox = __functions_driver.inbox
    try { Object.defineProperty(inbox, 'input', hook) } catch (e) {}
    async function onTrack(e) { e.properties.seen = seen.length; return e }
    """
    events = _large_batch(600)
    for _ in range(2):
        result = run(code, events, batch=True, cache_key="large-hooks", timeout_ms=2000)
        assert [r.status for r in result.results] == ["success"] * 600
        assert {r.output["properties"]["seen"] for r in result.results} == {0}
