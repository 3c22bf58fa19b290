import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
application = get_wsgi_application()
# The URL configuration, and the views it imports, loaded now rather than by the first
# request (Django resolves it lazily): that request no longer waits for them.
get_resolver().url_patterns  # noqa: B018
# What loading the project made lives as long as the process: kept out of the collector's
# passes (its full passes walked all of it). The tracking API's CPU per event at 500 events
# a request: 8.56-8.61 -> 8.20-8.23 us.
gc.freeze()
