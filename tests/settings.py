"""Settings of the test run: the project's settings with a fixed test-only key (DEBUG is off
there, where a missing DJANGO_SECRET_KEY refuses to start) and plain static storage (the
manifest storage needs `collectstatic` before any page renders)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-any-server")

from workspace.settings import *  # noqa: E402, F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
