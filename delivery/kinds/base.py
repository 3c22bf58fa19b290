"""What a destination kind is to the rest of delivery: a small interface, one implementation
per kind (webhook_destination.py, function_destination.py), found by name in registry.py.
Services, the API, the console, the admin and the pipeline reach kind-specific behaviour
only through it."""

from typing import Any

from delivery.kinds.webhook import Settled
from delivery.ledger.outcomes import Outcome
from delivery.models import Destination


class Kind:
    """A destination kind. `name` is the value of `Destination.kind`."""

    name: str = ""
    # Settings whose audit diff says only that they changed, never from what to what.
    secret_settings: tuple[str, ...] = ()

    def settings_checked(
        self, settings: Any, destination: Destination | None = None
    ) -> dict[str, Any]:
        """Valid settings, or InvalidInput. With `destination`, update semantics: what is
        omitted, or sent back masked as it was shown, keeps the stored value."""
        raise NotImplementedError

    def settings_store(self, destination: Destination, settings: dict[str, Any]) -> None:
        """Put checked settings on `destination` (the caller saves it)."""
        raise NotImplementedError

    def settings_stored(self, destination: Destination) -> dict[str, Any]:
        """The settings as stored, secrets decrypted: for the process, never for output."""
        raise NotImplementedError

    def settings_masked(self, destination: Destination) -> dict[str, Any]:
        """The settings as the API and the console show them, secrets masked."""
        raise NotImplementedError

    def snapshot(self, destination: Destination) -> dict[str, Any]:
        """The kind's part of the audit trail's snapshot of a destination, secrets redacted."""
        raise NotImplementedError

    def send(
        self, destination: Destination, events: list[dict[str, Any]], settled: Settled | None
    ) -> list[Outcome]:
        """One outcome per event, in order (`delivered`, or why not); a kind that learns the
        outcomes one by one also tells `settled(index, outcome)` as they arrive."""
        raise NotImplementedError
