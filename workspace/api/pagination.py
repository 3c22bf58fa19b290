"""Cursor pagination as the reference has it: `pagination[count]` or `pagination.count`
(1 to 1000, default 200) and `pagination[cursor]`; cursors are base64 of an offset, answered as
`{current, next, previous, totalEntries}`.

    page = paginate(queryset, request)
    return Response({"things": [...for x in page.items], "pagination": page.pagination})
"""

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from workspace.errors import InvalidInput

DEFAULT_COUNT, MAX_COUNT = 200, 1000
MAX_CURSOR_DIGITS = 18


@dataclass(frozen=True)
class Page:
    items: list[Any]
    pagination: dict[str, Any]


def _param(request: Any, name: str) -> str | None:
    params = request.query_params
    return params.get(f"pagination[{name}]", params.get(f"pagination.{name}"))


def encode_cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset of a cursor this API gave out, or InvalidInput. Only plain ASCII digits
    below 10^18 count: a forged offset past PostgreSQL's bigint made the query fail (500)."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeError):
        text = ""
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_CURSOR_DIGITS):
        raise InvalidInput(
            "pagination.cursor is not a cursor this API gave out", field="pagination.cursor"
        )
    return int(text)


def page_params(request: Any) -> tuple[int, int]:
    """(count, offset) from the query string, or InvalidInput naming the parameter."""
    raw_count = _param(request, "count")
    count = DEFAULT_COUNT
    if raw_count is not None:
        try:
            count = int(raw_count)
        except ValueError:
            count = 0
        if not 1 <= count <= MAX_COUNT:
            raise InvalidInput(
                f"pagination.count must be an integer from 1 to {MAX_COUNT}",
                field="pagination.count",
            )
    raw_cursor = _param(request, "cursor")
    return count, decode_cursor(raw_cursor) if raw_cursor else 0


def paginate(queryset: Any, request: Any) -> Page:
    """One page of an ordered queryset (or list) and its PaginationOutput."""
    count, offset = page_params(request)
    total = (
        queryset.count()
        if hasattr(queryset, "count") and not isinstance(queryset, list)
        else len(queryset)
    )
    items = list(queryset[offset : offset + count])
    return Page(
        items=items,
        pagination={
            "current": encode_cursor(offset),
            "next": encode_cursor(offset + count) if offset + count < total else None,
            "previous": encode_cursor(max(0, offset - count)) if offset > 0 else None,
            "totalEntries": total,
        },
    )


class PaginationOutputSerializer(serializers.Serializer):
    current = serializers.CharField(help_text="The current cursor within a collection.")
    next = serializers.CharField(allow_null=True, help_text="A pointer to the next page.")
    previous = serializers.CharField(allow_null=True, help_text="A pointer to the previous page.")
    totalEntries = serializers.IntegerField(
        help_text="The total number of entries available in the collection."
    )


PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "pagination[count]",
        {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
        required=False,
        description=f"Items per page, 1 to {MAX_COUNT} (default {DEFAULT_COUNT}). "
        "`pagination.count` is accepted too.",
    ),
    OpenApiParameter(
        "pagination[cursor]",
        OpenApiTypes.STR,
        required=False,
        description="An opaque cursor from `pagination.current`, `next` or "
        "`previous`. `pagination.cursor` is accepted too.",
    ),
]
