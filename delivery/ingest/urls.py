from django.urls import path

from delivery.ingest.views import track_call

KINDS = ("track", "identify", "page", "screen", "group", "alias", "batch")

urlpatterns = [path(kind, track_call, {"kind": kind}, name=f"tracking-{kind}") for kind in KINDS]
