"""Settings of the test run: the project's settings with a fixed test-only key (DEBUG is off
there, where a missing DJANGO_SECRET_KEY refuses to start), and static files served by
WhiteNoise from the source folders with plain storage (the manifest storage needs
`collectstatic` first; tests/workspace/test_static.py checks that path on a real server)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-any-server")

from workspace.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None  # type: ignore[assignment]  # nothing collected; no warning about it
WHITENOISE_USE_FINDERS = True
