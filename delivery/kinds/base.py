"""What a destination kind is to the rest of delivery: a small interface, one implementation
per kind (webhook_destination.py, function_destination.py), found by name in registry.py.
Services, the API, the console, the admin and the pipeline reach kind-specific behaviour
only through it: how its settings are checked, stored, shown and audited, what it offers in
the catalog, how a destination of it is made, which fields the operators' form has for it,
and how it sends a batch."""

from abc import ABC, abstractmethod
from typing import Any

from django import forms

from delivery.kinds.webhook import Settled
from delivery.ledger.outcomes import Outcome
from delivery.models import Destination
from workspace.models import Workspace


class Kind(ABC):
    """A destination kind. `name` is the value of `Destination.kind`, `label` what the
    console and the admin call it."""

    name: str = ""
    label: str = ""
    # Settings whose audit diff says only that they changed, never from what to what.
    secret_settings: tuple[str, ...] = ()

    # --- settings -------------------------------------------------------------------------

    @abstractmethod
    def settings_checked(
        self, settings: Any, destination: Destination | None = None
    ) -> dict[str, Any]:
        """Valid settings, or InvalidInput. With `destination`, update semantics: what is
        omitted, or sent back masked as it was shown, keeps the stored value."""

    @abstractmethod
    def settings_store(self, destination: Destination, settings: dict[str, Any]) -> None:
        """Put checked settings on `destination` (the caller saves it)."""

    @abstractmethod
    def settings_stored(self, destination: Destination) -> dict[str, Any]:
        """The settings as stored, secrets decrypted: for the process, never for output."""

    @abstractmethod
    def settings_masked(self, destination: Destination) -> dict[str, Any]:
        """The settings as the API and the console show them, secrets masked."""

    @abstractmethod
    def snapshot(self, destination: Destination) -> dict[str, Any]:
        """The kind's part of the audit trail's snapshot of a destination, secrets redacted."""

    def facts(self, destination: Destination) -> list[tuple[str, str]]:
        """(label, value) lines the console's destination page shows, secrets masked."""
        return [(name, str(value)) for name, value in self.settings_masked(destination).items()]

    def summary(self, destination: Destination) -> str:
        """One line that tells this destination apart in the operators' list."""
        return ", ".join(value for _, value in self.facts(destination)) or "-"

    # --- the catalog and making a destination ---------------------------------------------

    @abstractmethod
    def catalog(self, user: Any, workspace: Workspace) -> list[dict[str, Any]]:
        """The catalog entries (DestinationMetadataV1, plus `kind`) this kind offers that
        `user` may see, in their order."""

    @abstractmethod
    def catalog_entry(
        self, user: Any, workspace: Workspace, metadata_id: str
    ) -> dict[str, Any] | None:
        """The entry `metadata_id` names if it is this kind's and `user` may see it."""

    def offers(self, workspace: Workspace, metadata_id: str) -> bool:
        """Whether `metadata_id` names one of this kind's entries in `workspace`, whoever asks:
        the create path tells an unknown entry (400) from a refused one (403)."""
        return metadata_id == self.name

    def require_usable(self, user: Any, workspace: Workspace, metadata_id: str) -> None:
        """PermissionDenied when `user` may not make a destination of this entry; anyone
        who administers the source may, unless the kind says otherwise."""
        return None

    @abstractmethod
    def metadata(self, destination: Destination) -> dict[str, Any]:
        """The catalog entry of an existing destination of this kind."""

    def destination_prepare(
        self, destination: Destination, *, metadata_id: str, settings: Any
    ) -> None:
        """Make a new, unsaved `destination` (name, source, workspace set) one of entry
        `metadata_id` with `settings`, or InvalidInput."""
        self.settings_store(destination, self.settings_checked(settings))

    # --- the operators' admin form --------------------------------------------------------

    @abstractmethod
    def admin_fields(self, destination: Destination | None) -> dict[str, forms.Field]:
        """The admin form's fields for this kind, named so no other kind's clash: to create
        one (`destination` None) or to change `destination`."""

    @abstractmethod
    def admin_settings(
        self, data: dict[str, Any], destination: Destination | None
    ) -> tuple[str, Any]:
        """From the form's cleaned data, (metadata id, settings) to create one, or to change
        `destination` (settings None: leave them); InvalidInput (its `field` one of
        `admin_fields`, or none) when they cannot be used."""

    # --- sending --------------------------------------------------------------------------

    @abstractmethod
    def send(
        self, destination: Destination, events: list[dict[str, Any]], settled: Settled | None
    ) -> list[Outcome]:
        """One outcome per event, in order (`delivered`, or why not); a kind that learns the
        outcomes one by one also tells `settled(index, outcome)` as they arrive."""


class SingleEntryKind(Kind):
    """A kind with one catalog entry, named by the kind and offered to everyone (the
    webhook): it says only what that entry is."""

    @abstractmethod
    def entry(self) -> dict[str, Any]:
        """Its catalog entry (DestinationMetadataV1, plus `kind`), `id` the kind's name."""

    def catalog(self, user: Any, workspace: Workspace) -> list[dict[str, Any]]:
        return [self.entry()]

    def catalog_entry(
        self, user: Any, workspace: Workspace, metadata_id: str
    ) -> dict[str, Any] | None:
        return self.entry() if metadata_id == self.name else None

    def metadata(self, destination: Destination) -> dict[str, Any]:
        return self.entry()
