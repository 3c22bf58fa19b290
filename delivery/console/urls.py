from django.urls import path

from delivery.console import connect, destinations

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
]
