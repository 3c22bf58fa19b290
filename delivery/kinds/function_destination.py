"""The destination function kind: the destination *is* a function instance, whose settings
(sensitive ones encrypted) are the destination's settings and whose handler gets the batch."""

from typing import Any

from delivery.kinds.base import Kind
from delivery.kinds.function import run_instance
from delivery.kinds.webhook import Settled
from delivery.lanes import kill_budget
from delivery.ledger.outcomes import Outcome
from delivery.models import DeliveryStatus, Destination, DestinationKind
from functions.instances import (
    instance_settings_decrypted,
    instance_settings_masked,
    instance_snapshot,
    store_instance_settings,
)
from workspace.errors import InvalidInput


class FunctionKind(Kind):
    name = DestinationKind.FUNCTION

    def settings_checked(
        self, settings: Any, destination: Destination | None = None
    ) -> dict[str, Any]:
        # The values are checked against the instance's version's schema when stored.
        if not isinstance(settings, dict):
            raise InvalidInput("settings must be an object", field="settings")
        return settings

    def settings_store(self, destination: Destination, settings: dict[str, Any]) -> None:
        instance = destination.function_instance
        if instance is None:
            return
        store_instance_settings(instance, instance.version.settings_schema, settings)
        instance.save()

    def settings_stored(self, destination: Destination) -> dict[str, Any]:
        instance = destination.function_instance
        return instance_settings_decrypted(instance) if instance is not None else {}

    def settings_masked(self, destination: Destination) -> dict[str, Any]:
        instance = destination.function_instance
        return instance_settings_masked(instance) if instance is not None else {}

    def snapshot(self, destination: Destination) -> dict[str, Any]:
        instance = destination.function_instance
        return {"instance": instance_snapshot(instance)} if instance is not None else {}

    def send(
        self, destination: Destination, events: list[dict[str, Any]], settled: Settled | None
    ) -> list[Outcome]:
        assert destination.function_instance is not None
        outcomes = run_instance(
            instance=destination.function_instance,
            kind="destination",
            events=events,
            kill_budget=kill_budget(),
        )
        for outcome in outcomes:
            if outcome.status == "success":
                outcome.status = DeliveryStatus.DELIVERED
        return outcomes
