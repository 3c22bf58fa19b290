from django.urls import path

from delivery.console import connect, destinations, event_delivery, health

urlpatterns = [
    path("functions/<str:function_id>/connect/", connect.connect, name="console-connect"),
    path(
        "functions/<str:function_id>/connect/settings/",
        connect.connect_settings,
        name="console-connect-settings",
    ),
    path(
        "functions/<str:function_id>/instances/<str:instance_id>/settings/",
        connect.instance_settings,
        name="console-instance-settings",
    ),
    path(
        "functions/<str:function_id>/instances/<str:instance_id>/disconnect/",
        connect.disconnect,
        name="console-disconnect",
    ),
    path("sources/", destinations.sources, name="console-sources"),
    path("sources/<str:source_id>/", destinations.source, name="console-source"),
    path("destinations/", destinations.destinations, name="console-destinations"),
    path(
        "destinations/<str:destination_id>/",
        destinations.destination,
        name="console-destination",
    ),
    path(
        "destinations/<str:destination_id>/disconnect/",
        destinations.destination_disconnect,
        name="console-destination-disconnect",
    ),
    path(
        "destinations/<str:destination_id>/functions/",
        destinations.destination_functions,
        name="console-destination-functions",
    ),
    path(
        "destinations/<str:destination_id>/functions/enable/",
        destinations.destination_function_enable,
        name="console-destination-function-enable",
    ),
    path(
        "destinations/<str:destination_id>/functions/disconnect/",
        destinations.destination_function_disconnect,
        name="console-destination-function-disconnect",
    ),
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
