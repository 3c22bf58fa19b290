"""Reads of the workspace app: token lookup. Role checks live in workspace.permissions."""

from workspace.models import ApiToken
from workspace.services import hash_token


def api_token_by_raw(raw: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("workspace", "user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
