from typing import Any

from django.conf import settings
from django.db import models

from workspace.ids import new_id


class Workspace(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    # Connection Health alerts are also POSTed here as JSON when set (may carry a token).
    alert_webhook_url = models.URLField(max_length=2000, blank=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Workspace Owner"
    FUNCTIONS_ADMIN = "functions_admin", "Functions Admin"
    FUNCTIONS_READONLY = "functions_readonly", "Functions Read-only"
    SOURCE_ADMIN = "source_admin", "Source Admin"


class Membership(models.Model):
    """A role of a user in a workspace; `all_resources=False` limits it to the objects granted
    through django-guardian (per function class or per source)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    all_resources = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user", "role"], name="uniq_membership")
        ]

    def __str__(self) -> str:
        scope = "all" if self.all_resources else "listed"
        return f"{self.user} · {self.get_role_display()} ({scope})"


class ApiToken(models.Model):
    """A bearer token of one workspace. Only its SHA-256 is stored; the token acts through its
    own service user so that roles and object grants work as for people."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    """Append-only trail: the queryset and the instance refuse updates and deletes."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.SET_NULL)
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64, db_index=True)
    resource_name = models.CharField(max_length=200, blank=True)
    diff = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.resource_type} {self.resource_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("audit events are append-only")


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker host said it was alive (`workspace.operations`);
    `/readyz` needs one seen recently."""

    hostname = models.CharField(primary_key=True, max_length=200)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
