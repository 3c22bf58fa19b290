"""Bearer tokens: `Authorization: Bearer <token>`, each token scoped to one workspace."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from workspace.models import ApiToken
from workspace.queries import api_token_by_raw


class BearerTokenAuthentication(BaseAuthentication):
    """Sets `request.user` to the token's service user and `request.auth` to the ApiToken."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Authorization header must be 'Bearer <token>'")
        try:
            raw = parts[1].decode()
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token") from None
        token = api_token_by_raw(raw)
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid or revoked token")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
