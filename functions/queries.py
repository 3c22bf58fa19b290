"""Reads of functions shared by the services, the API and the console."""

from functions.models import FunctionClass, FunctionVersion


def latest_version(function: FunctionClass) -> FunctionVersion:
    # Every function has a version from its creation on.
    return function.versions.latest("number")
