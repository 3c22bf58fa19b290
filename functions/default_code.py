"""The code a new function starts from: the documented default template, one commented
handler per event type (`reference/seeds`: "The default source code template includes
handlers for all event types")."""

from functions.models import ResourceType

_HANDLERS = (
    ("track", "onTrack", "SegmentTrackEvent"),
    ("identify", "onIdentify", "SegmentIdentifyEvent"),
    ("group", "onGroup", "SegmentGroupEvent"),
    ("page", "onPage", "SegmentPageEvent"),
    ("screen", "onScreen", "SegmentScreenEvent"),
    ("alias", "onAlias", "SegmentAliasEvent"),
)

_HEADERS = {
    ResourceType.DESTINATION: (
        "// Learn more about destination functions API at\n"
        "// https://segment.com/docs/connections/destinations/destination-functions\n"
    ),
    ResourceType.INSERT_DESTINATION: (
        "// Learn more about destination insert functions API at\n"
        "// https://segment.com/docs/connections/functions/insert-functions\n"
        "// Return the event to send it on to the destination; return nothing to filter it out.\n"
    ),
}


def _handler(kind: ResourceType, spec: str, name: str, type_name: str) -> str:
    body = (
        f"  // Learn more at https://segment.com/docs/connections/spec/{spec}/\n"
        "  console.log(event);\n"
    )
    if kind == ResourceType.INSERT_DESTINATION:
        body += "  return event;\n"
    return (
        "/**\n"
        f" * Handle {spec} event\n"
        f" * @param  {{{type_name}}} event\n"
        " * @param  {FunctionSettings} settings\n"
        " */\n"
        f"async function {name}(event, settings) {{\n{body}}}\n"
    )


def _delete_handler(kind: ResourceType) -> str:
    returns = "  return event;\n" if kind == ResourceType.INSERT_DESTINATION else ""
    return (
        "/**\n"
        " * Handle delete event\n"
        " * @param  {SegmentDeleteEvent} event\n"
        " * @param  {FunctionSettings} settings\n"
        " */\n"
        "async function onDelete(event, settings) {\n"
        "  // Learn more at https://segment.com/docs/privacy/user-deletion-and-suppression/\n"
        "  // The event carries the userId to delete.\n"
        f"{returns}}}\n"
    )


def _batch_handler() -> str:
    return (
        "/**\n"
        " * Handle a batch of events (optional): when defined, events arrive in batches\n"
        " * @param  {SegmentEvent[]} events\n"
        " * @param  {FunctionSettings} settings\n"
        " */\n"
        "// async function onBatch(events, settings) {\n"
        "//   // handle the batch of events\n"
        "// }\n"
    )


def default_code(resource_type: str) -> str:
    kind = ResourceType(resource_type)
    parts = [_handler(kind, *handler) for handler in _HANDLERS]
    parts += [_delete_handler(kind), _batch_handler()]
    return _HEADERS[kind] + "\n" + "\n".join(parts)
