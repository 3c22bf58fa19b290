from django.db import models

from workspace.ids import new_id, new_write_key
from workspace.models import Workspace


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
        "functions.FunctionInstance", null=True, blank=True, on_delete=models.CASCADE,
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

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=16)
    event = models.JSONField()
    status = models.CharField(max_length=40, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.RETRYING)
    error_type = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    logs = models.JSONField(default=list, blank=True)
    requests = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name_plural = "event deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["destination", "message_id"],
                                    name="uniq_delivery_per_destination"),
        ]
        indexes = [models.Index(fields=["destination", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.destination_id}: {self.status}"
