"""Source slugs: the Public API's handle of a source, unique within its workspace."""

from typing import Any

from django.utils.text import slugify

from delivery.models import Source
from workspace.errors import InvalidInput
from workspace.models import Workspace

MAX_SLUG = 100


def _taken(workspace: Workspace, slug: str, exclude: str | None) -> bool:
    return Source.objects.filter(workspace=workspace, slug=slug).exclude(pk=exclude).exists()


def slug_checked(workspace: Workspace, slug: Any, *, exclude: str | None = None) -> str:
    """`slug` as given, if it is a free slug of `workspace`; else InvalidInput."""
    if not isinstance(slug, str) or not slug or len(slug) > MAX_SLUG or slugify(slug) != slug:
        raise InvalidInput(
            "slug must be 1 to 100 lowercase letters, digits, dashes or underscores", field="slug"
        )
    if _taken(workspace, slug, exclude):
        raise InvalidInput(f"slug {slug!r} is already used by another source", field="slug")
    return slug


def slug_for_name(workspace: Workspace, name: str) -> str:
    """A free slug made from `name`: `web`, then `web-2`, `web-3`, ..."""
    base = slugify(name)[: MAX_SLUG - 10] or "source"
    slug, n = base, 1
    while _taken(workspace, slug, None):
        n += 1
        slug = f"{base}-{n}"
    return slug
