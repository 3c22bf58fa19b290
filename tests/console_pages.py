"""Helpers for console view tests: URLs of the seeded world, and what a page offers."""

import re

from django.test import Client

from tests.console_world import World

_POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>", re.IGNORECASE)


def write_forms(html: str) -> list[str]:
    """The POST forms of a page other than the admin header's Log out."""
    return [form for form in _POST_FORM.findall(html) if "logout" not in form]


def client_for(world: World, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def base(world: World) -> str:
    return f"/admin/w/{world.workspace.slug}"
