"""The webhook sender: one POST of JSON per event, with the destination's headers and an
idempotency header; 2xx delivered, 429/5xx/network retried, other 4xx rejected."""

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from delivery.outcomes import Outcome, error_outcome
from functions.runtime.addresses import BlockedAddress, resolve

USER_AGENT = "functions-webhook/1.0"


def _outcome_for(response: httpx.Response, request: dict[str, Any]) -> Outcome:
    request["status"] = response.status_code
    code = response.status_code
    if 200 <= code < 300:
        return Outcome("delivered", requests=[request])
    message = f"HTTP {code}: {response.text[:500]}"
    if code == 429 or code >= 500:
        return error_outcome("retry", "RetryError", message, requests=[request])
    return error_outcome("message_rejected", "WebhookRejected", message, requests=[request])


async def _post(
    client: httpx.AsyncClient,
    gate: asyncio.Semaphore,
    url: str,
    headers: dict[str, str],
    event: dict[str, Any],
) -> Outcome:
    request = {"url": url, "method": "POST"}
    async with gate:
        try:
            response = await client.post(
                url, json=event, headers={**headers, "Idempotency-Key": str(event["messageId"])}
            )
        except httpx.HTTPError as error:
            return error_outcome(
                "retry", "RetryError", f"network error: {error!r}", requests=[request]
            )
    return _outcome_for(response, request)


async def _check_address(url: str) -> None:
    """The runtime fetch's SSRF rule, checked once per batch."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress(f"only http(s) URLs may be called: {url}")
    await resolve(
        parts.hostname,
        parts.port or (443 if parts.scheme == "https" else 80),
        allow_private=settings.FUNCTIONS_ALLOW_PRIVATE_FETCH,
    )


async def _send_all(
    url: str, headers: dict[str, str], events: list[dict[str, Any]]
) -> list[Outcome]:
    try:
        await _check_address(url)
    except BlockedAddress as error:
        return [error_outcome("bad_request", "BlockedAddress", str(error)) for _ in events]
    except OSError as error:
        return [error_outcome("retry", "RetryError", str(error)) for _ in events]
    gate = asyncio.Semaphore(settings.DELIVERY_WEBHOOK_CONCURRENCY)
    timeout = httpx.Timeout(settings.DELIVERY_WEBHOOK_TIMEOUT_SECONDS)
    limits = httpx.Limits(max_connections=settings.DELIVERY_WEBHOOK_CONCURRENCY)
    async with httpx.AsyncClient(
        timeout=timeout, limits=limits, follow_redirects=False, headers={"User-Agent": USER_AGENT}
    ) as client:
        return list(await asyncio.gather(*(_post(client, gate, url, headers, e) for e in events)))


def webhook_send(
    *, url: str, headers: dict[str, str], events: list[dict[str, Any]]
) -> list[Outcome]:
    """One outcome per event, in order."""
    return asyncio.run(_send_all(url, headers, events))
