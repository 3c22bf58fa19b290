from django.urls import path

from workspace.console import audit, members

urlpatterns = [
    path("audit/", audit.audit_trail, name="console-audit"),
    path("members/", members.members, name="console-members"),
    path("members/add/", members.member_add, name="console-member-add"),
    path(
        "members/roles/<int:membership_id>/remove/",
        members.membership_remove,
        name="console-membership-remove",
    ),
    path("members/tokens/", members.token_create, name="console-token-create"),
    path(
        "members/tokens/<str:token_id>/revoke/", members.token_revoke, name="console-token-revoke"
    ),
]
