"""`{{ destination|kind_label }}`: what the console calls a destination's kind ("Webhook",
"Destination function"), asked of the kind (delivery/kinds/) rather than spelled in pages."""

from django import template

from delivery.kinds.registry import KINDS
from delivery.models import Destination

register = template.Library()


@register.filter
def kind_label(destination: Destination) -> str:
    kind = KINDS.get(destination.kind)
    return kind.label if kind is not None else destination.kind
