from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("workspace.api.urls")),
    path("v1/", include("delivery.tracking.urls")),
]

if settings.DEBUG:
    from workspace.demo import demo_receiver

    urlpatterns.append(path("demo/receiver", demo_receiver, name="demo-receiver"))
