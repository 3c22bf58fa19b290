"""Every destination kind, by the name `Destination.kind` holds, and the catalog they make
together. A new kind is one module of delivery/kinds/ with a `Kind` subclass and one line
here (README, "Destination kinds"; tests/delivery/test_third_kind.py adds one)."""

from typing import Any

from delivery.kinds.base import Kind
from delivery.kinds.function_destination import FunctionKind
from delivery.kinds.webhook_destination import WebhookKind
from delivery.models import Destination
from workspace.models import Workspace

KINDS: dict[str, Kind] = {kind.name: kind for kind in (WebhookKind(), FunctionKind())}


def kind_of(destination: Destination) -> Kind:
    return KINDS[destination.kind]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.name, kind.label) for kind in KINDS.values()]


def destinations_catalog(user: Any, workspace: Workspace) -> list[dict[str, Any]]:
    """Every destination catalog entry `user` may see: each kind's, kind by kind."""
    return [entry for kind in KINDS.values() for entry in kind.catalog(user, workspace)]


def destination_catalog_entry(
    user: Any, workspace: Workspace, metadata_id: str
) -> dict[str, Any] | None:
    for kind in KINDS.values():
        if (entry := kind.catalog_entry(user, workspace, metadata_id)) is not None:
            return entry
    return None


def kind_offering(workspace: Workspace, metadata_id: str) -> Kind | None:
    """The kind whose catalog entry `metadata_id` is, whoever asks."""
    return next((kind for kind in KINDS.values() if kind.offers(workspace, metadata_id)), None)
