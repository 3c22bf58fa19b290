from django.urls import path

from delivery.console import event_delivery, health

urlpatterns = [
    path("health/", health.health, name="console-health"),
    path("health/alert-webhook/", health.alert_webhook, name="console-health-alert-webhook"),
    path(
        "health/subscriptions/<str:function_id>/",
        health.subscribe,
        name="console-health-subscribe",
    ),
    path(
        "destinations/<str:destination_id>/auto-disable/",
        health.auto_disable,
        name="console-health-auto-disable",
    ),
    path(
        "destinations/<str:destination_id>/event-delivery/",
        event_delivery.event_delivery,
        name="console-event-delivery",
    ),
    path(
        "destinations/<str:destination_id>/event-delivery/replay/",
        event_delivery.replay,
        name="console-event-delivery-replay",
    ),
    path(
        "destinations/<str:destination_id>/event-delivery/<str:delivery_id>/",
        event_delivery.delivery_detail,
        name="console-delivery",
    ),
]
