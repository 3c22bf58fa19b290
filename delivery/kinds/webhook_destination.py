"""The webhook kind: a POST of JSON per event to `url`, with `headers`. The URL is
`kind_settings["url"]`; the headers, whose values often carry credentials, are the kind's
secrets (`kind_secrets_encrypted`, one Fernet token of the name -> value object). Both are
shown masked (the URL's userinfo and query values, the header values)."""

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.templatetags.static import static

from delivery.catalog import destination_entry, logos, option
from delivery.kinds.base import SingleEntryKind
from delivery.kinds.url_masking import host_only_url, masked_url, url_unmasked
from delivery.kinds.webhook import Settled, header_problem, webhook_send
from delivery.lanes import in_slow_lane
from delivery.ledger.outcomes import Outcome
from delivery.models import Destination
from functions.schema import is_masked, mask
from workspace.audit import REDACTED
from workspace.errors import InvalidInput
from workspace.infra.secrets import decrypt_value, encrypt_value


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_webhook_settings(settings: Any) -> tuple[str, dict[str, str]]:
    if not isinstance(settings, dict):
        raise InvalidInput("settings must be an object", field="settings")
    unknown = set(settings) - {"url", "headers"}
    if unknown:
        raise InvalidInput(
            f"unknown webhook settings: {', '.join(sorted(unknown))}", field="settings"
        )
    url = settings.get("url")
    if not isinstance(url, str) or not _is_web_url(url):
        raise InvalidInput("settings.url must be an http(s) URL", field="settings.url")
    headers = settings.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise InvalidInput("settings.headers must map names to strings", field="settings.headers")
    for name, value in headers.items():
        if (problem := header_problem(name, value)) is not None:
            raise InvalidInput(f"settings.headers: {problem}", field="settings.headers")
    return url, headers


def webhook_url(destination: Destination) -> str:
    return str(destination.kind_settings.get("url", ""))


def webhook_headers(destination: Destination) -> dict[str, str]:
    if not destination.kind_secrets_encrypted:
        return {}
    headers: dict[str, str] = decrypt_value(destination.kind_secrets_encrypted)
    return headers


def _merged_webhook_settings(destination: Destination, settings: Any) -> dict[str, Any]:
    """Update semantics: an omitted url or headers keeps the stored one, and a masked URL or
    header value sent back (as the API shows them) keeps the stored value."""
    if not isinstance(settings, dict):
        raise InvalidInput("settings must be an object", field="settings")
    stored = webhook_headers(destination)
    merged = {"url": webhook_url(destination), "headers": stored, **settings}
    if isinstance(merged["url"], str):
        merged["url"] = url_unmasked(merged["url"], webhook_url(destination))
    if isinstance(merged["headers"], dict):
        for name, value in merged["headers"].items():
            if is_masked(value) and name not in stored:
                raise InvalidInput(
                    f"settings.headers.{name}: a masked value was sent but none is stored",
                    field=f"settings.headers.{name}",
                )
        merged["headers"] = {
            name: stored[name] if is_masked(value) else value
            for name, value in merged["headers"].items()
        }
    return merged


class OptionalJSONField(forms.JSONField):
    """Shows nothing rather than `null` when there is no value."""

    def prepare_value(self, value: Any) -> Any:
        return "" if value is None else super().prepare_value(value)


class WebhookKind(SingleEntryKind):
    name = "webhook"
    label = "Webhook"
    secret_settings = ("url", "headers")

    def settings_checked(
        self, settings: Any, destination: Destination | None = None
    ) -> dict[str, Any]:
        if destination is not None:
            settings = _merged_webhook_settings(destination, settings)
        url, headers = check_webhook_settings(settings)
        return {"url": url, "headers": headers}

    def settings_store(self, destination: Destination, settings: dict[str, Any]) -> None:
        destination.kind_settings = {"url": settings["url"]}
        headers = settings["headers"]
        destination.kind_secrets_encrypted = encrypt_value(headers) if headers else ""

    def settings_stored(self, destination: Destination) -> dict[str, Any]:
        return {"url": webhook_url(destination), "headers": webhook_headers(destination)}

    def settings_masked(self, destination: Destination) -> dict[str, Any]:
        headers = webhook_headers(destination)
        return {
            "url": masked_url(webhook_url(destination)),
            "headers": {name: mask(value) for name, value in headers.items()},
        }

    def snapshot(self, destination: Destination) -> dict[str, Any]:
        return {
            "url": masked_url(webhook_url(destination)),
            "headers": dict.fromkeys(webhook_headers(destination), REDACTED),
        }

    def send(
        self, destination: Destination, events: list[dict[str, Any]], settled: Settled | None
    ) -> list[Outcome]:
        return webhook_send(
            url=webhook_url(destination),
            headers=webhook_headers(destination),
            events=events,
            settled=settled,
            stop_on_timeout=not in_slow_lane(),
        )

    def facts(self, destination: Destination) -> list[tuple[str, str]]:
        # Less than the API shows: the console page is read over a shoulder.
        headers = self.settings_masked(destination)["headers"]
        return [
            ("URL", host_only_url(webhook_url(destination))),
            *((f"Header {name}", value) for name, value in headers.items()),
        ]

    def summary(self, destination: Destination) -> str:
        return masked_url(webhook_url(destination))

    def entry(self) -> dict[str, Any]:
        return destination_entry(
            id=self.name,
            kind=self.name,
            name=self.label,
            slug=self.name,
            description="POSTs every event as JSON to a URL of yours, with the headers you set.",
            logos=logos(static("catalog/webhook.svg")),
            categories=["Raw Data"],
            options=[
                option("url", "string", "Webhook URL", "Where events are POSTed.", True),
                option("headers", "map", "Headers", "Headers sent with every request.", False),
            ],
        )

    def admin_fields(self, destination: Destination | None) -> dict[str, forms.Field]:
        url = webhook_url(destination) if destination is not None else ""
        fields: dict[str, forms.Field] = {
            # Shown masked like a secret; posting the masked URL back keeps the stored one.
            "webhook_url": forms.URLField(
                required=False,
                max_length=2000,
                assume_scheme="https",
                widget=forms.URLInput(attrs={"size": 80}),
                initial=masked_url(url) if url else None,
            ),
            "webhook_headers": OptionalJSONField(
                required=False,
                help_text='Header names and values, e.g. {"Authorization": "Bearer …"}. Stored '
                "encrypted; leave empty to keep the stored headers.",
            ),
        }
        if destination is not None:
            names = webhook_headers(destination)
            fields["header_names"] = forms.CharField(
                label="stored headers",
                required=False,
                disabled=True,
                initial=", ".join(f"{name}: [redacted]" for name in names) or "-",
            )
        return fields

    def admin_settings(
        self, data: dict[str, Any], destination: Destination | None
    ) -> tuple[str, Any]:
        headers = data.get("webhook_headers")
        if destination is None:
            return self.name, {"url": data.get("webhook_url"), "headers": headers or {}}
        kept = {"headers": headers} if headers else {}
        return self.name, {**kept, "url": data.get("webhook_url")}
