"""Every Public API route under /api/; anything else under /api/ answers the 404 envelope."""

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from delivery.api.catalog import (
    DestinationMetadataView,
    DestinationsCatalogView,
    SourceMetadataView,
    SourcesCatalogView,
)
from delivery.api.deliveries import (
    DeliveryMetricsView,
    EventDeliveryListView,
    EventDeliveryReplayView,
)
from delivery.api.destinations import DestinationDetailView, DestinationListView
from delivery.api.health import ConnectionHealthView
from delivery.api.insert_instances import InsertInstanceDetailView, InsertInstanceListView
from delivery.api.sources import SourceDetailView, SourceListView
from functions.api.functions import FunctionDeployView, FunctionDetailView, FunctionListView
from functions.api.preview import FunctionPreviewView, UnsavedPreviewView
from functions.api.versions import FunctionVersionDetailView, FunctionVersionListView
from workspace.api.audit_events import AuditEventListView
from workspace.api.errors import NOT_FOUND_MESSAGE


# Exempt: the SDK's operations this product lacks (POST .../writekey, ...) must read a JSON
# 404, not Django's CSRF page; there is nothing behind this view to protect.
@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse(
        {"errors": [{"type": "NotFound", "message": NOT_FOUND_MESSAGE}]}, status=404
    )


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("functions", FunctionListView.as_view()),
    path("functions/preview", UnsavedPreviewView.as_view()),
    path("functions/<str:functionId>", FunctionDetailView.as_view()),
    path("functions/<str:functionId>/deploy", FunctionDeployView.as_view()),
    path("functions/<str:functionId>/preview", FunctionPreviewView.as_view()),
    path("functions/<str:functionId>/versions", FunctionVersionListView.as_view()),
    path(
        "functions/<str:functionId>/versions/<str:versionId>", FunctionVersionDetailView.as_view()
    ),
    path("insert-function-instances", InsertInstanceListView.as_view()),
    path("insert-function-instances/<str:instanceId>", InsertInstanceDetailView.as_view()),
    path("sources", SourceListView.as_view()),
    path("sources/<str:sourceId>", SourceDetailView.as_view()),
    path("destinations", DestinationListView.as_view()),
    path("destinations/<str:destinationId>", DestinationDetailView.as_view()),
    path("destinations/<str:destinationId>/event-deliveries", EventDeliveryListView.as_view()),
    path(
        "destinations/<str:destinationId>/event-deliveries/replay",
        EventDeliveryReplayView.as_view(),
    ),
    path("destinations/<str:destinationId>/delivery-metrics", DeliveryMetricsView.as_view()),
    path("audit-events", AuditEventListView.as_view()),
    path("connection-health", ConnectionHealthView.as_view()),
    path("catalog/destinations", DestinationsCatalogView.as_view()),
    path("catalog/destinations/<str:destinationMetadataId>", DestinationMetadataView.as_view()),
    path("catalog/sources", SourcesCatalogView.as_view()),
    path("catalog/sources/<str:sourceMetadataId>", SourceMetadataView.as_view()),
    re_path(r"^(?P<rest>.*)$", not_found),
]
