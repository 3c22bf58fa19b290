"""Every destination kind, by the name `Destination.kind` holds. A new kind is one module of
delivery/kinds/ with a `Kind` subclass, one line here, and its value in `DestinationKind`
with a migration."""

from delivery.kinds.base import Kind
from delivery.kinds.function_destination import FunctionKind
from delivery.kinds.webhook_destination import WebhookKind
from delivery.models import Destination

KINDS: dict[str, Kind] = {kind.name: kind for kind in (WebhookKind(), FunctionKind())}


def kind_of(destination: Destination) -> Kind:
    return KINDS[destination.kind]
