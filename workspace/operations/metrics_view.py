"""`GET /metrics` in Prometheus' text format.

Protected: with `FUNCTIONS_METRICS_TOKEN` set, a request needs `Authorization: Bearer
<token>`; without it, only loopback clients (a collector on the same host) are answered.
Anyone else gets a 404, so the endpoint does not advertise itself."""

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from workspace.operations.metrics import BacklogCollector


def _allowed(request: HttpRequest) -> bool:
    token = settings.FUNCTIONS_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


_BACKLOG = BacklogCollector()
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    REGISTRY.register(_BACKLOG)


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    # One registry per scrape: the processes' files are read afresh each time.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_BACKLOG)
    return registry


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
