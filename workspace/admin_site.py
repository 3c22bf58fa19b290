from django.contrib import admin
from django.http import HttpRequest

from workspace.models import Membership


class WorkspaceAdminSite(admin.AdminSite):
    """Members of a workspace may use the admin pages; what each sees is scoped by role."""

    site_header = "Functions"
    site_title = "Functions"
    index_title = "Workspace"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not user.is_active:
            return False
        return bool(user.is_staff) or Membership.objects.filter(user=user).exists()
