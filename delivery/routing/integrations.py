"""Which destinations of a source an event goes to: the `integrations` object."""

from typing import Any

from delivery.models import Destination


def destination_names(destination: Destination) -> list[str]:
    """The names an `integrations` object may use for this destination."""
    names = [destination.name]
    instance = destination.function_instance
    if instance is not None:
        names += [instance.name, instance.function.display_name]
    return names


def is_routed(event: dict[str, Any], names: list[str]) -> bool:
    """`integrations: {"All": false, "My Function": true}` sends to My Function only; a
    destination's own key wins over `All`; an options object counts as true."""
    integrations = event.get("integrations")
    if not isinstance(integrations, dict):
        return True
    for name in names:
        if name in integrations:
            return integrations[name] is not False
    return integrations.get("All", True) is not False
