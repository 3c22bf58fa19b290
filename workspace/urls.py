from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from workspace.demo import demo_receiver
from workspace.operations import health
from workspace.operations.metrics_view import metrics

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("workspace.api.urls")),
    path("v1/", include("delivery.ingest.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # Answers only the demo's own webhook (a token seed_demo made) and superusers.
    path("demo/receiver", demo_receiver, name="demo-receiver"),
]
