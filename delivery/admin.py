"""Admin pages of the delivery app. EventDelivery: a read-only list with filters and a
replay action (the lead registers the other delivery models below)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from delivery.models import EventDelivery
from delivery.replay import deliveries_replay_selected
from functions.admin_access import WorkspaceScopedAdmin, actor_of
from workspace.queries import can_admin_source


@admin.register(EventDelivery)
class EventDeliveryAdmin(WorkspaceScopedAdmin):
    list_display = (
        "message_id",
        "destination",
        "event_type",
        "status",
        "attempts",
        "error_type",
        "received_at",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type", "destination", "received_at")
    search_fields = ("message_id", "error_message")
    date_hierarchy = "received_at"
    list_select_related = ("destination",)
    actions = ["replay_failed"]
    readonly_fields = [field.name for field in EventDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.action(description="Replay the selected failed deliveries", permissions=["replay"])
    def replay_failed(self, request: HttpRequest, queryset: QuerySet[EventDelivery]) -> None:
        allowed = [
            row.pk
            for row in queryset.select_related("destination__source")
            if request.user.is_superuser
            or can_admin_source(request.user, row.workspace, row.destination.source)
        ]
        skipped = queryset.count() - len(allowed)
        count = deliveries_replay_selected(
            deliveries=EventDelivery.objects.filter(pk__in=allowed), actor=actor_of(request)
        )
        self.message_user(request, f"{count} failed deliveries sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} deliveries skipped: replaying needs the "
                "Source Admin role over their source.",
                messages.WARNING,
            )
