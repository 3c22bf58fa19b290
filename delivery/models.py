from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.deletion import Collector

from delivery.ledger.retry import MAX_ATTEMPTS
from functions.models import FunctionInstance
from workspace.ids import new_id, new_write_key
from workspace.infra.exact_json import compact_dumps
from workspace.models import Workspace
from workspace.stored_json import StoredJSONField, StoredJSONTextField, without_lone_surrogates


class Source(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=200)
    # The Public API's handle (unique in the workspace) and catalog id (delivery.catalog).
    slug = models.SlugField(max_length=100, blank=True)
    metadata_id = models.CharField(max_length=64, default="http-api")
    # Kept as given and answered back: no source kind here has settings of its own.
    settings = models.JSONField(default=dict, blank=True)
    write_key = models.CharField(max_length=64, unique=True, default=new_write_key)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def function_instances_owned(destinations: Any, using: str = "default") -> Any:
    """The function instances that are `destinations`' own: the insert instance in front of
    each, and the instance a destination function destination is. Their keys are on the
    destination, so they go with it only when this is asked."""
    return FunctionInstance._base_manager.using(using).filter(
        models.Q(attached_destination__in=destinations) | models.Q(destination__in=destinations)
    )


def cascade_with_function_instances(
    collector: Collector, field: "models.Field[Any, Any]", sub_objs: Any, using: str
) -> None:
    """CASCADE for a key of Destination, taking along the function instances the
    destinations that go own (their source, their function or function instance deleted).
    A destination deleted itself goes through `services.destination_delete`."""
    models.CASCADE(collector, field, sub_objs, using)
    owned = list(function_instances_owned(sub_objs, using))
    collector.collect(owned, source=field.model, nullable=True, fail_on_restricted=False)


class Destination(models.Model):
    """Where a source's events go: a webhook, a destination function instance, or whatever
    else a kind of delivery/kinds/ does."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="destinations")
    source = models.ForeignKey(
        Source, on_delete=cascade_with_function_instances, related_name="destinations"
    )
    name = models.CharField(max_length=200)
    # The name of a kind in delivery/kinds/registry.py. No choices here: the registry is the
    # one list, so a new kind needs no change outside delivery/kinds/ and no migration.
    kind = models.CharField(max_length=16)
    enabled = models.BooleanField(default=True)
    # The kind's own settings (delivery/kinds/): plain ones as JSON (a webhook's `url`), secret
    # ones as one Fernet token (a webhook's headers, whose values often carry credentials).
    # A destination function's settings are its instance's.
    kind_settings = models.JSONField(default=dict, blank=True)
    kind_secrets_encrypted = models.TextField(blank=True)
    function_instance = models.OneToOneField(
        "functions.FunctionInstance",
        null=True,
        blank=True,
        on_delete=cascade_with_function_instances,
        related_name="destination",
    )
    # The insert function instance in front of it, its own: it goes with the destination
    # (destination_delete, cascade_with_function_instances); deleting it only detaches it.
    insert_instance = models.OneToOneField(
        "functions.FunctionInstance",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attached_destination",
    )
    max_attempts = models.PositiveSmallIntegerField(default=MAX_ATTEMPTS)
    # Until then its work runs in the slow lane only (delivery/lanes.py): it timed out lately.
    slow_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        """Disabled, or its destination function instance is: its pending events wait
        (still `retrying`) and move again when it is enabled. A disabled insert function
        instance pauses nothing: events then reach the destination unchanged."""
        instance = self.function_instance
        return not self.enabled or (instance is not None and not instance.enabled)


# Destination.is_paused as a filter: the sweeper leaves their pending rows alone.
DESTINATION_PAUSED = models.Q(enabled=False) | models.Q(function_instance__enabled=False)


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


# Outcomes that are not failures (in this order: the failures index and its queries must
# spell the same list for PostgreSQL to use the index).
NOT_ERROR_STATUSES = (
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FILTERED,
    DeliveryStatus.FILTERED_BY_DESTINATION_FILTER,
    DeliveryStatus.DROPPED,
    DeliveryStatus.RETRYING,
)


USER_ID_KEPT = 200


def event_user_id(event: Any) -> str:
    """The event's userId as Event Delivery's search matches it: a string as it is, another
    JSON value as its JSON text, none as "", at most USER_ID_KEPT characters (a longer one is
    matched by its start: an index entry has a size limit, and a userId of a few kB made the
    whole batch's insert fail when the index held the full value)."""
    value = event.get("userId") if isinstance(event, dict) else None
    if value is None:
        return ""
    text = value if isinstance(value, str) else compact_dumps(value)
    text = text[:USER_ID_KEPT]
    # A lone surrogate (JSON may escape one) cannot be stored as text: U+FFFD, as elsewhere.
    return text if text.isascii() else without_lone_surrogates(text)


class ByteOrderCharField(models.CharField):
    """Text compared byte by byte: PostgreSQL's "C" collation (SQLite's default already).
    For values only ever matched, never sorted for people: the database's own collation
    compares through strcoll, on every index insert too."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class EventUserIdField(ByteOrderCharField):
    """`event_user_id` of the row's event, set whenever the ORM writes the row (save,
    create, bulk_create), so no writer can forget it; the ledger's own statements compute it
    with the same function."""

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = event_user_id(getattr(model_instance, "event", None))
        setattr(model_instance, self.attname, value)
        return value


class EventDelivery(models.Model):
    """The fate of one event at one destination."""

    # Indexes are few on purpose: every insert, and every outcome recorded (never a HOT
    # update: it changes indexed columns), writes an entry into each one whose condition the
    # row meets. The usual row is inserted `retrying` and recorded `delivered`: an index that
    # leaves delivered rows out costs it one entry instead of two (bench/ledger_write_bench.py).
    # The destination is the first column of the unique constraint, so it needs no index of
    # its own; nor does the workspace: only the operators' admin page and the deletion of a
    # workspace, rare, read by it, and with most rows in one workspace both scan the ledger
    # anyway (measured on 500,000 rows).
    # No foreign key constraints in the database: each was checked at commit for every row
    # inserted, a query per row (the destination's was 12% of the worker's backend CPU by
    # perf). Rows are opened with their destination's workspace, and the ledger's insert
    # takes the destination's key-share lock once per statement, inserting nothing for a
    # destination already gone; deleting a destination locks it first
    # (delivery/ledger/statements.py), so no row outlives it. Django cascades the deletes.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    destination = models.ForeignKey(
        Destination,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
        db_constraint=False,
    )
    message_id = ByteOrderCharField(max_length=200)
    event_type = models.CharField(max_length=16)
    # Text, not jsonb: read back whole, never looked into by the database (jsonb parsed
    # every event on the insert: 12% of the worker's backend CPU by perf). The one field
    # searched is copied out: `user_id`.
    event = StoredJSONTextField()
    user_id = EventUserIdField(max_length=USER_ID_KEPT, blank=True, default="")
    status = models.CharField(
        max_length=40, choices=DeliveryStatus.choices, default=DeliveryStatus.RETRYING
    )
    error_type = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    logs = StoredJSONField(default=list, blank=True)
    requests = StoredJSONField(default=list, blank=True)
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
            # Event Delivery's list by status (delivered rows, the most, are read through
            # `delivery_received_idx`), and a destination's pending rows.
            models.Index(
                fields=["destination", "status", "received_at"],
                condition=~models.Q(status=DeliveryStatus.DELIVERED),
                name="delivery_undelivered_idx",
            ),
            # Only pending rows: the sweeper's due rows, and the claim of a lease's rows.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status=DeliveryStatus.RETRYING),
                name="delivery_due_idx",
            ),
            models.Index(
                fields=["lease_token"],
                condition=~models.Q(lease_token=""),
                name="delivery_leased_idx",
            ),
            # Event Delivery's windows: the list, the live part of the metrics, health.
            models.Index(fields=["destination", "received_at"], name="delivery_received_idx"),
            # The failure breakdown reads only failures, a small share of the ledger.
            models.Index(
                fields=["destination", "received_at"],
                condition=~models.Q(status__in=list(NOT_ERROR_STATUSES)),
                name="delivery_failures_idx",
            ),
            # Event Delivery's search by userId.
            models.Index(fields=["destination", "user_id"], name="delivery_user_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.destination_id}: {self.status}"


class OutboxEntry(models.Model):
    """Events accepted by the tracking API, written in the request's transaction and handed
    to Celery; the sweeper hands over again any entry whose task was lost."""

    id = models.UUIDField(primary_key=True, editable=False)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Text, not jsonb: nothing looks inside it in the database (delivery/migrations/0017).
    events = StoredJSONTextField()
    created_at = models.DateTimeField()
    dispatched_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    # While set, the entry's task holds the events it fanned out to a destination ready to
    # send without writing their ledger rows yet (each row is written once, with its
    # outcome): renewed while the task works, cleared when it ends. Past it, the sweeper
    # writes the rows that have no outcome as crash suspects (delivery/ingest/outbox.py).
    pending_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "outbox entries"
        # An entry is inserted, then marked processed (never a HOT update: processed_at is
        # indexed): each index here takes an entry at both unless its condition leaves one
        # out, as the two partial ones do.
        indexes = [
            # A source's newest requests (Use Sample Event), and its deletion.
            models.Index(fields=["source", "-created_at"], name="outbox_source_recent_idx"),
            # The sweeper's entries whose task was lost, and the backlog metrics.
            models.Index(
                fields=["dispatched_at"],
                condition=models.Q(processed_at__isnull=True),
                name="outbox_unprocessed_idx",
            ),
            # The sweeper's removal of entries processed long enough ago.
            models.Index(
                fields=["processed_at"],
                condition=models.Q(processed_at__isnull=False),
                name="outbox_processed_idx",
            ),  # The sweeper's entries whose task died holding unwritten rows.
            models.Index(
                fields=["pending_until"],
                condition=models.Q(pending_until__isnull=False),
                name="outbox_pending_idx",
            ),
        ]

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


class HealthState(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    DEGRADED = "degraded", "Degraded"
    FAILING = "failing", "Failing"


class ConnectionHealth(models.Model):
    """The health of one connection (a destination with its insert function, or a destination
    function), re-evaluated by beat from the ledger of the last minutes
    (`delivery.health.evaluate`)."""

    destination = models.OneToOneField(
        Destination, on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    state = models.CharField(max_length=16, choices=HealthState.choices, default="healthy")
    since = models.DateTimeField()
    error_rate = models.FloatField(null=True, blank=True)
    events = models.PositiveIntegerField(default=0)
    top_error = models.CharField(max_length=300, blank=True)
    checked_at = models.DateTimeField()
    # Opt-in: disable the connection once it has been failing this long (minutes).
    auto_disable_minutes = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.destination_id}: {self.state}"


class HealthAlert(models.Model):
    """One notice per state change of a connection, shown in the console and sent out."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="+")
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    message = models.TextField()
    auto_disabled = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.destination_id}: {self.from_state} → {self.to_state}"


class AlertSubscription(models.Model):
    """A person who wants the alerts of every connection a function runs in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    function = models.ForeignKey(
        "functions.FunctionClass", on_delete=models.CASCADE, related_name="alert_subscriptions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "function"], name="uniq_alert_subscription")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.function_id}"


class DeliveryRollup(models.Model):
    """Counts per destination, hour (of `received_at`) and status, for hours whose deliveries
    are final: Event Delivery's day and week windows read these instead of the ledger, and
    they outlive ledger retention (`delivery/ledger/rollups.py`)."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    status = models.CharField(max_length=40)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "hour", "status"], name="uniq_rollup_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.destination_id} {self.hour:%Y-%m-%d %H}h {self.status}: {self.count}"


class RollupState(models.Model):
    """Every hour before `rolled_until` is rolled up, except the hours marked dirty (a replay
    sent their events again) until they are final once more."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    rolled_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rolled until {self.rolled_until}"


class DirtyRollupHour(models.Model):
    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["destination", "hour"], name="uniq_dirty_hour")
        ]

    def __str__(self) -> str:
        return f"{self.destination_id} {self.hour:%Y-%m-%d %H}h"
