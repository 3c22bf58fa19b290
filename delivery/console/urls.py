from django.urls import path

from delivery.console import event_delivery

urlpatterns = [
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
