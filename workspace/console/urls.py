from django.urls import path

from workspace.console import audit

urlpatterns = [
    path("audit/", audit.audit_trail, name="console-audit"),
]
