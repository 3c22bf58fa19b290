"""Running a function instance (insert or destination) on a batch of events, through the
runtime: one call into V8 per batch, outcomes per event."""

import json
import re
from typing import Any

import orjson
from django.conf import settings

from delivery.ledger.outcomes import Outcome, deferred_outcome, error_outcome
from delivery.models import DeliveryStatus
from functions.instances import instance_settings_decrypted
from functions.models import FunctionInstance
from functions.runtime.protocol import loads
from functions.schema import sensitive_names, setting_value_errors
from workspace.infra.secrets import DecryptionFailed

_BATCH_HANDLER = re.compile(r"\bonBatch\b")


def has_batch_handler(instance: FunctionInstance) -> bool:
    return bool(_BATCH_HANDLER.search(instance.version.code))


def _encoded_size(value: Any) -> int:
    """Length of the compact (ASCII-escaped) JSON of `value`, as json.dumps measures it.
    orjson encodes it several times faster; its length is the same when its output is ASCII,
    so json only runs for text beyond ASCII and for what orjson refuses (an integer beyond
    64 bits, a lone surrogate)."""
    try:
        encoded = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        encoded = b"\xff"
    if encoded.isascii():
        return len(encoded)
    return len(json.dumps(value, separators=(",", ":")))


def size_batches(events: list[dict[str, Any]], max_count: int) -> list[list[int]]:
    """Indexes of `events` cut into batches of at most `max_count` events and 6 MB."""
    limit = settings.DELIVERY_BATCH_MAX_BYTES
    if _encoded_size(events) <= limit:
        # One encoding of the whole list (in C) instead of one per event, in the usual case.
        indexes = list(range(len(events)))
        return [indexes[i : i + max_count] for i in range(0, len(events), max_count)]
    batches: list[list[int]] = [[]]
    size = 0
    for index, event in enumerate(events):
        event_size = _encoded_size(event)
        current = batches[-1]
        if current and (len(current) >= max_count or size + event_size > limit):
            batches.append([])
            size = 0
        batches[-1].append(index)
        size += event_size
    return [batch for batch in batches if batch]


def returned_events(texts: list[str]) -> list[dict[str, Any]]:
    """The returned events' JSON texts (one object each, as the driver checked), read as
    the runtime reads one (`EventResult.output`): as one array, one parse in C."""
    events: list[dict[str, Any]] = loads("[" + ",".join(texts) + "]")
    return events


def _settings_or_error(instance: FunctionInstance) -> tuple[dict[str, Any], Outcome | None]:
    try:
        values = instance_settings_decrypted(instance)
    except DecryptionFailed as error:
        return {}, error_outcome(DeliveryStatus.INVALID_SETTINGS, "InvalidSettings", str(error))
    errors = setting_value_errors(instance.version.settings_schema, values)
    if errors:
        return values, error_outcome(
            DeliveryStatus.INVALID_SETTINGS, "InvalidSettings", "; ".join(errors)
        )
    return values, None


def _stopped_by_limit(status: str, error: dict[str, Any] | None) -> bool:
    """The runtime's limit stopped this event's run: it timed out, or was left unrun after
    others of its run used the kills up (functions/runtime/executor.py)."""
    message = str((error or {}).get("message", ""))
    return status == "timeout" or (status == "retry" and message.startswith("not run:"))


def run_instance(
    *,
    instance: FunctionInstance,
    kind: str,
    events: list[dict[str, Any]],
    kill_budget: int | None = None,
) -> list[Outcome]:
    """One outcome per event; `kind` is "insert" or "destination". With `kill_budget`, each
    run may be stopped by a limit that many times, and once one was, the chunks not yet run
    are answered `deferred` (the ordinary lane's bound: one time limit per task)."""
    # Imported here so webhook-only workers never load V8 (mini-racer) at all.
    from functions.runtime import run_function
    from functions.runtime.redaction import secret_texts

    values, refused = _settings_or_error(instance)
    if refused is not None:
        return [refused for _ in events]
    secret = sensitive_names(instance.version.settings_schema)
    batched = has_batch_handler(instance)
    outcomes: list[Outcome] = [Outcome(DeliveryStatus.BAD_REQUEST)] * len(events)
    stopped = False
    for indexes in size_batches(
        events, instance.function.batch_max_count if batched else settings.DELIVERY_CHUNK_SIZE
    ):
        if stopped and kill_budget is not None:
            for index in indexes:
                outcomes[index] = deferred_outcome("an earlier run of its batch timed out")
            continue
        result = run_function(
            code=instance.version.code,
            kind=kind,
            events=[events[i] for i in indexes],
            settings=values,
            batch=batched and len(indexes) > 1,
            cache_key=f"fv_{instance.version_id}",
            timeout_ms=None,
            sensitive_values=secret_texts(values.get(n) for n in secret),
            isolated=False,
            kill_budget=kill_budget,
        )
        if result.returned is not None:
            # Every event returned an event, nothing logged or fetched: the returned
            # events' texts, read as one JSON document (one parse for the batch).
            returned = returned_events(result.returned)
            for index, output in zip(indexes, returned, strict=True):
                outcomes[index] = Outcome("success", None, output)
            continue
        for index, one in zip(indexes, result.results, strict=True):
            # An onBatch run logs once for the whole batch: failures keep that log.
            outcomes[index] = Outcome(
                one.status,
                one.error,
                one.output,
                list(one.logs or result.logs),
                list(one.requests or result.requests),
                timed_out=_stopped_by_limit(one.status, one.error),
            )
            if one.status == "retry" and outcomes[index].timed_out:
                # Left unrun by the kill budget: not an attempt of this event.
                outcomes[index] = deferred_outcome("other events of its run used the time limits")
                outcomes[index].timed_out = True
            stopped = stopped or outcomes[index].timed_out
    return outcomes
