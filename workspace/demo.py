"""A webhook receiver for the demo workspace, so `make run` delivers events end to end
without any outside service.

Bound to the demo, never open: `seed_demo` generates a random token once in
DEMO_RECEIVER_TOKEN_FILE (var/demo-receiver-token) and gives the demo webhook destination the
header `Authorization: Bearer <token>`. A header rather than a token in the URL: webhook
headers are stored encrypted and shown masked, and the token stays out of access logs. A POST
without that token is a 404, like every request before `seed_demo` ran; reading what arrived
(GET) needs a superuser's login (the demo owner is one)."""

import hmac
import json
import os
import secrets
from collections import deque
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

_RECEIVED: deque[dict[str, Any]] = deque(maxlen=100)


def receiver_token() -> str | None:
    try:
        return settings.DEMO_RECEIVER_TOKEN_FILE.read_text().strip() or None
    except FileNotFoundError:
        return None


def receiver_token_create() -> str:
    """The demo receiver's token, generated on first use and kept across runs."""
    path = settings.DEMO_RECEIVER_TOKEN_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _is_demo_sender(request: HttpRequest) -> bool:
    token = receiver_token()
    sent = request.headers.get("Authorization", "")
    return token is not None and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@csrf_exempt
def demo_receiver(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not _is_demo_sender(request):
            raise Http404
        try:
            body = json.loads(request.body)
        except ValueError:
            return JsonResponse({"error": "body is not JSON"}, status=400)
        _RECEIVED.appendleft(
            {
                "headers": {"idempotency-key": request.headers.get("Idempotency-Key", "")},
                "body": body,
            }
        )
        return JsonResponse({"ok": True})
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not request.user.is_superuser:
        raise Http404
    return JsonResponse({"received": list(_RECEIVED)})
