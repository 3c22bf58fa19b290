from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "delivery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The ledger's lock on a destination being deleted (a pre_delete receiver).
        from delivery.ledger import statements  # noqa: F401
