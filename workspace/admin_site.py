from typing import Any

from django.contrib import admin
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver

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
    """The console's shell: members sign in here and work in the console pages
    (`workspace.console`, under `w/<slug>/`); the stock model pages are operator tools for
    superusers."""

    site_header = "Functions"
    site_title = "Functions"
    index_title = "Operator tools"
    login_form = MemberAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return _may_use_admin(request.user)

    def get_urls(self) -> list[URLPattern | URLResolver]:
        from workspace.console.routes import console_urlpatterns

        return [*console_urlpatterns(), *super().get_urls()]

    def index(self, request: HttpRequest, extra_context: Any = None) -> Any:
        from workspace.console.views import console_home_url

        if not request.user.is_superuser:
            home = console_home_url(request)
            if home:
                return redirect(home)
        return super().index(request, extra_context)
