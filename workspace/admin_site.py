from django.contrib import admin
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from workspace.models import Membership


def _may_use_admin(user: User | AnonymousUser) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.is_staff or Membership.objects.filter(user=user).exists()


class MemberAuthenticationForm(AuthenticationForm):
    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not _may_use_admin(user):
            raise ValidationError(
                "This account is not a member of any workspace.", code="no_workspace"
            )


class WorkspaceAdminSite(admin.AdminSite):
    """Members of a workspace may use the admin pages; what each sees is scoped by role."""

    site_header = "Functions"
    site_title = "Functions"
    index_title = "Workspace"
    login_form = MemberAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return _may_use_admin(request.user)
