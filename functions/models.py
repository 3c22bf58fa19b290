from typing import Any

from django.conf import settings
from django.db import models

from workspace.ids import new_id, new_object_id, new_version_id
from workspace.models import Workspace

DISPLAY_NAME_MAX = 120


class ResourceType(models.TextChoices):
    DESTINATION = "DESTINATION", "Destination function"
    INSERT_DESTINATION = "INSERT_DESTINATION", "Destination insert function"


ID_PREFIXES = {ResourceType.DESTINATION: "dfn_", ResourceType.INSERT_DESTINATION: "ifnd_"}
# onBatch batch size bounds per kind (the product's limits).
BATCH_MAX_COUNT_LIMITS = {ResourceType.DESTINATION: 400, ResourceType.INSERT_DESTINATION: 1000}
DEFAULT_BATCH_MAX_COUNT = 20


class FunctionClass(models.Model):
    """A function as users write it. `id` is the prefix-less catalogId; the API id adds the
    type prefix (`dfn_`, `ifnd_`)."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="functions")
    resource_type = models.CharField(max_length=32, choices=ResourceType.choices)
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX)
    description = models.TextField(blank=True)
    logo_url = models.URLField(max_length=500, blank=True)
    code = models.TextField()
    settings_schema = models.JSONField(default=list, blank=True)
    batch_max_count = models.PositiveIntegerField(default=DEFAULT_BATCH_MAX_COUNT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deployed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "function"
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "display_name"], name="uniq_function_display_name"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def api_id(self) -> str:
        return ID_PREFIXES[ResourceType(self.resource_type)] + self.id

    @property
    def is_insert(self) -> bool:
        return self.resource_type == ResourceType.INSERT_DESTINATION


class FunctionVersion(models.Model):
    """An immutable snapshot of code and settings schema, made on every save."""

    id = models.CharField(primary_key=True, max_length=32, default=new_version_id, editable=False)
    function = models.ForeignKey(FunctionClass, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    code = models.TextField()
    settings_schema = models.JSONField(default=list, blank=True)
    author = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["function", "number"], name="uniq_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.function} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("function versions are immutable")
        super().save(*args, **kwargs)


class FunctionInstance(models.Model):
    """A function deployed with its own settings, pinned to a version. Delivery holds the keys
    (this app knows nothing of it): a destination function instance is the target of a
    Destination (`Destination.function_instance`, reverse `destination`), an insert function
    instance sits in front of one (`Destination.insert_instance`, reverse
    `attached_destination`)."""

    id = models.CharField(primary_key=True, max_length=32, default=new_object_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    function = models.ForeignKey(FunctionClass, on_delete=models.CASCADE, related_name="instances")
    version = models.ForeignKey(FunctionVersion, on_delete=models.PROTECT, related_name="instances")
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)
    encrypted_settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "function instance"

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        # Never show settings: sensitive values are kept encrypted and stay out of reprs.
        return f"<FunctionInstance {self.id} {self.name!r} function={self.function_id}>"
