from django.db import models

from workspace.ids import new_id, new_write_key
from workspace.models import Workspace
from workspace.stored_json import StoredJSONDecoder


class Source(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=200)
    write_key = models.CharField(max_length=64, unique=True, default=new_write_key)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DestinationKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    FUNCTION = "function", "Destination function"


class Destination(models.Model):
    """Where a source's events go: a webhook, or a destination function instance."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="destinations")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="destinations")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=DestinationKind.choices)
    enabled = models.BooleanField(default=True)
    webhook_url = models.URLField(max_length=2000, blank=True)
    # Header values often carry credentials: kept encrypted as one Fernet token.
    webhook_headers_encrypted = models.TextField(blank=True)
    function_instance = models.OneToOneField(
        "functions.FunctionInstance",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="destination",
    )
    max_attempts = models.PositiveSmallIntegerField(default=9)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FILTERED_BY_DESTINATION_FILTER = "filtered_by_destination_filter"
    FILTERED = "filtered"
    DROPPED = "dropped"
    MESSAGE_REJECTED = "message_rejected"
    UNSUPPORTED_EVENT_TYPE = "unsupported_event_type"
    INVALID_SETTINGS = "invalid_settings"
    BAD_REQUEST = "bad_request"
    FAILED = "failed"


class EventDelivery(models.Model):
    """The fate of one event at one destination."""

    # Indexes are few on purpose: every insert, and every outcome recorded (never a HOT
    # update: it changes indexed columns), writes an entry into each one. The destination is
    # the first column of the unique constraint, so it needs no index of its own.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    message_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=16)
    event = models.JSONField(decoder=StoredJSONDecoder)
    status = models.CharField(
        max_length=40, choices=DeliveryStatus.choices, default=DeliveryStatus.RETRYING
    )
    error_type = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    logs = models.JSONField(default=list, blank=True, decoder=StoredJSONDecoder)
    requests = models.JSONField(default=list, blank=True, decoder=StoredJSONDecoder)
    received_at = models.DateTimeField()
    # The retry window (4 hours) runs from here; a replay starts a new window.
    window_started_at = models.DateTimeField(null=True, blank=True)
    # Set when a task is handed these rows; a task holding another token skips them.
    lease_token = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "event deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "message_id"], name="uniq_delivery_per_destination"
            ),
        ]
        indexes = [
            models.Index(fields=["destination", "status", "created_at"]),
            # The admin's scoping of a member's workspaces (no `_like` twin: nothing searches
            # ids by pattern).
            models.Index(fields=["workspace"], name="delivery_workspace_idx"),
            # Only pending rows: the sweeper's due rows, and the claim of a lease's rows.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="retrying"),
                name="delivery_due_idx",
            ),
            models.Index(
                fields=["lease_token"],
                condition=~models.Q(lease_token=""),
                name="delivery_leased_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.destination_id}: {self.status}"


class OutboxEntry(models.Model):
    """Events accepted by the tracking API, written in the request's transaction and handed
    to Celery; the sweeper hands over again any entry whose task was lost."""

    id = models.UUIDField(primary_key=True, editable=False)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    events = models.JSONField(decoder=StoredJSONDecoder)
    created_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "outbox entries"

    def __str__(self) -> str:
        return f"outbox {self.id} ({len(self.events)} events)"


class FilterAction(models.TextChoices):
    DROP_EVENT = "drop_event", "Drop event"
    ONLY_SEND = "only_send", "Only send"
    DROP_PROPERTIES = "drop_properties", "Drop properties"
    ALLOW_PROPERTIES = "allow_properties", "Allow properties"
    SAMPLE = "sample", "Sample a percentage"


class DestinationFilter(models.Model):
    """A destination filter: an `if` expression and what to do with matching events."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="filters")
    title = models.CharField(max_length=200)
    expression = models.TextField()
    action = models.CharField(max_length=32, choices=FilterAction.choices)
    # Field paths for drop/allow properties, e.g. ["properties.email", "context.ip"].
    fields = models.JSONField(default=list, blank=True)
    percent = models.FloatField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title
