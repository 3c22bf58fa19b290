"""The catalog: what a source or destination *is*, in the shape the Public API's
`metadata` objects have (SourceMetadataV1, DestinationMetadataV1). This product has one kind
of source (the HTTP tracking API, whichever library calls it); each destination kind
(delivery/kinds/) makes its own entries with `destination_entry` (the webhook one, a
destination function one per function)."""

from typing import Any

from django.templatetags.static import static

HTTP_API = "http-api"
# Every event type reaches a webhook or a function handler (onTrack ... onGroup).
_METHODS = {"pageview": True, "identify": True, "alias": True, "track": True, "group": True}
_PLATFORMS = {
    "browser": True,
    "server": True,
    "mobile": True,
    "warehouse": False,
    "cloudAppObject": False,
}


def logos(url: str) -> dict[str, Any]:
    return {"default": url, "mark": url, "alt": None}


def option(name: str, kind: str, label: str, description: str, required: bool) -> dict[str, Any]:
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
        "logos": logos(static("catalog/webhook.svg")),
        "options": [],
        "categories": ["Server"],
        "isCloudEventSource": False,
    }


def destination_entry(**fields: Any) -> dict[str, Any]:
    """A destination catalog entry: what a kind tells (`id`, `kind`, `name`, `slug`,
    `description`, `logos`, `categories`, `options`) over what every entry here has."""
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
