"""A webhook receiver for the demo workspace, so `make run` delivers events end to end
without any outside service. Only mounted with DEBUG on."""

import json
from collections import deque
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

_RECEIVED: deque[dict[str, Any]] = deque(maxlen=100)


@csrf_exempt
def demo_receiver(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
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
    return JsonResponse({"received": list(_RECEIVED)})
