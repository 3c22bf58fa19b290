"""Console URLs of every app, mounted on the admin site under `w/<slug>/`."""

from importlib import import_module

from django.urls import URLPattern, URLResolver, include, path

from workspace.console import views

# Apps contribute `<app>.console.urls.urlpatterns`; the order is the navigation's.
CONSOLE_APPS = ("workspace", "functions", "delivery")


def _app_patterns() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for app in CONSOLE_APPS:
        try:
            module = import_module(f"{app}.console.urls")
        except ModuleNotFoundError as error:
            if error.name not in (f"{app}.console", f"{app}.console.urls"):
                raise
            continue
        patterns.append(path("w/<slug:slug>/", include(module.urlpatterns)))
    return patterns


def console_urlpatterns() -> list[URLPattern | URLResolver]:
    return [path("w/", views.workspace_choice, name="console-home"), *_app_patterns()]
