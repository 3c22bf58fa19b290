from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WorkspaceConfig(AppConfig):
    default = True
    name = "workspace"
    default_auto_field = "django.db.models.BigAutoField"


class WorkspaceAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "workspace.admin_site.WorkspaceAdminSite"
