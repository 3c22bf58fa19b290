"""Destination filters: saving them (malformed expressions refused) and applying them to
events before the insert function."""

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from delivery.models import Destination, DestinationFilter, FilterAction
from delivery.routing.expressions import FilterSyntaxError, Node, matches, parse_expression
from workspace.audit import Actor, audit_record
from workspace.errors import InvalidInput

_FIELD_ACTIONS = {FilterAction.DROP_PROPERTIES, FilterAction.ALLOW_PROPERTIES}


def check_filter(expression: Any, action: Any, fields: Any, percent: Any) -> None:
    try:
        parse_expression(expression)
    except FilterSyntaxError as error:
        raise InvalidInput(f"invalid filter expression: {error}", field="if") from None
    if action not in FilterAction.values:
        raise InvalidInput(
            f"action must be one of {', '.join(FilterAction.values)}", field="action"
        )
    if action in _FIELD_ACTIONS and (
        not isinstance(fields, list)
        or not fields
        or not all(isinstance(f, str) and f.strip() for f in fields)
    ):
        raise InvalidInput("fields must list the field paths to drop or allow", field="fields")
    if action == FilterAction.SAMPLE and (
        isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100
    ):
        raise InvalidInput("percent must be a number from 0 to 100", field="percent")


@transaction.atomic
def destination_filter_create(
    *,
    destination: Destination,
    actor: Actor,
    title: str,
    expression: str,
    action: str,
    fields: list[str] | None = None,
    percent: float | None = None,
    enabled: bool = True,
) -> DestinationFilter:
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise InvalidInput("title must be 1 to 200 characters", field="title")
    check_filter(expression, action, fields, percent)
    item = DestinationFilter.objects.create(
        destination=destination,
        title=title.strip(),
        expression=expression,
        action=action,
        fields=list(fields or []),
        percent=percent,
        enabled=enabled,
    )
    audit_record(
        workspace=destination.workspace,
        actor=actor,
        action="Destination Filter Created",
        resource_type="DESTINATION_FILTER",
        resource_id=str(item.id),
        resource_name=item.title,
        diff={
            "after": {
                "if": expression,
                "action": action,
                "fields": item.fields,
                "percent": percent,
                "integrationId": destination.id,
            }
        },
    )
    return item


@transaction.atomic
def destination_filter_delete(
    *, destination: Destination, item: DestinationFilter, actor: Actor
) -> None:
    if item.destination_id != destination.id:
        raise InvalidInput(f"filter {item.id} not found on this destination", field="filterId")
    audit_record(
        workspace=destination.workspace,
        actor=actor,
        action="Destination Filter Deleted",
        resource_type="DESTINATION_FILTER",
        resource_id=str(item.id),
        resource_name=item.title,
    )
    item.delete()


@dataclass(frozen=True)
class CompiledFilter:
    id: int
    node: Node
    action: str
    fields: tuple[str, ...]
    percent: float | None


def compile_filters(items: list[DestinationFilter]) -> list[CompiledFilter]:
    return [
        CompiledFilter(
            item.id,
            parse_expression(item.expression),
            item.action,
            tuple(item.fields),
            item.percent,
        )
        for item in items
        if item.enabled
    ]


def _sampled_in(filter_id: int, message_id: str, percent: float) -> bool:
    # Hashing the messageId keeps a retried or replayed event on the same side of the sample.
    digest = hashlib.sha1(f"{filter_id}:{message_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 * 100 < percent


def _drop_fields(event: dict[str, Any], paths: tuple[str, ...]) -> None:
    for path in paths:
        *parents, leaf = path.split(".")
        target: Any = event
        for part in parents:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target.pop(leaf, None)


def _allow_fields(event: dict[str, Any], paths: tuple[str, ...]) -> None:
    allowed: dict[str, set[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        allowed.setdefault(head, set()).add(rest)
    for head, keep in allowed.items():
        value = event.get(head)
        if isinstance(value, dict) and "" not in keep:
            event[head] = {k: v for k, v in value.items() if k in keep}


def apply_filters(filters: list[CompiledFilter], event: dict[str, Any]) -> dict[str, Any] | None:
    """The event as the destination should see it, or None when a filter drops it."""
    result = event
    for item in filters:
        hit = matches(item.node, result)
        if item.action == FilterAction.DROP_EVENT and hit:
            return None
        if item.action == FilterAction.ONLY_SEND and not hit:
            return None
        if (
            item.action == FilterAction.SAMPLE
            and hit
            and not _sampled_in(item.id, str(event.get("messageId")), item.percent or 0)
        ):
            return None
        if item.action in _FIELD_ACTIONS and hit:
            result = copy.deepcopy(result) if result is event else result
            change = _drop_fields if item.action == FilterAction.DROP_PROPERTIES else _allow_fields
            change(result, item.fields)
    return result
