"""The catalog: what a source or destination *is*, in the shape the Public API's
`metadata` objects have (SourceMetadataV1, DestinationMetadataV1). This product has one kind
of source (the HTTP tracking API, whichever library calls it) and two kinds of destination:
the webhook, and each destination function as its own entry."""

from typing import Any

from django.templatetags.static import static
from django.utils.text import slugify

from delivery.models import DestinationKind
from functions.models import FunctionClass

WEBHOOK = "webhook"
HTTP_API = "http-api"
_OPTION_TYPES = {"STRING": "string", "BOOLEAN": "boolean", "ARRAY": "array", "TEXT_MAP": "map"}
# Every event type reaches a webhook or a function handler (onTrack ... onGroup).
_METHODS = {"pageview": True, "identify": True, "alias": True, "track": True, "group": True}
_PLATFORMS = {
    "browser": True,
    "server": True,
    "mobile": True,
    "warehouse": False,
    "cloudAppObject": False,
}


def _logos(url: str) -> dict[str, Any]:
    return {"default": url, "mark": url, "alt": None}


def _option(name: str, kind: str, label: str, description: str, required: bool) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "label": label,
        "description": description,
        "required": required,
    }


def source_metadata(metadata_id: str) -> dict[str, Any]:
    """The catalog entry of a source. Any metadataId a script brings is kept (they all name
    an HTTP tracking API source here), so the entry is the same with that id."""
    return {
        "id": metadata_id or HTTP_API,
        "name": "HTTP API",
        "slug": HTTP_API,
        "description": "Events sent to the tracking API (/v1/track, /v1/batch, ...) with this "
        "source's write key, by any tracking library or plain HTTP.",
        "logos": _logos(static("catalog/webhook.svg")),
        "options": [],
        "categories": ["Server"],
        "isCloudEventSource": False,
    }


def _destination_entry(**fields: Any) -> dict[str, Any]:
    return {
        "status": "PUBLIC",
        "previousNames": [],
        "website": "",
        "components": [],
        "supportedFeatures": {
            "cloudModeInstances": "MULTIPLE",
            "deviceModeInstances": "NONE",
            "replay": False,
            "browserUnbundling": False,
            "browserUnbundlingPublic": False,
        },
        "supportedMethods": dict(_METHODS),
        "supportedPlatforms": dict(_PLATFORMS),
        "actions": [],
        "presets": [],
        "contacts": [],
        "partnerOwned": False,
        **fields,
    }


def webhook_metadata() -> dict[str, Any]:
    return _destination_entry(
        id=WEBHOOK,
        kind=DestinationKind.WEBHOOK,
        name="Webhook",
        slug=WEBHOOK,
        description="POSTs every event as JSON to a URL of yours, with the headers you set.",
        logos=_logos(static("catalog/webhook.svg")),
        categories=["Raw Data"],
        options=[
            _option("url", "string", "Webhook URL", "Where events are POSTed.", True),
            _option("headers", "map", "Headers", "Headers sent with every request.", False),
        ],
    )


def function_metadata(function: FunctionClass) -> dict[str, Any]:
    """A destination function's own catalog entry; its settings are the entry's options."""
    return _destination_entry(
        id=function.id,
        kind=DestinationKind.FUNCTION,
        name=function.display_name,
        slug=slugify(function.display_name) or function.id.lower(),
        description=function.description,
        logos=_logos(function.logo_url or static("catalog/function.svg")),
        categories=["Functions"],
        options=[
            _option(
                s["name"],
                _OPTION_TYPES.get(s["type"], "string"),
                s.get("label") or s["name"],
                s.get("description", ""),
                bool(s.get("required")),
            )
            for s in function.settings_schema
        ],
    )
