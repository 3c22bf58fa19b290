"""`ApiView`: the base of every Public API view (bearer auth, JSON in and out, the envelopes,
throttling with X-RateLimit-* headers) and the helpers views use to stay thin."""

from typing import Any

from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workspace.api.authentication import BearerTokenAuthentication
from workspace.api.errors import api_exception_handler
from workspace.api.negotiation import ApiContentNegotiation, ApiJSONParser, EnvelopeRenderer
from workspace.api.throttling import TokenRateThrottle
from workspace.audit import Actor
from workspace.errors import PermissionDenied
from workspace.models import ApiToken, Workspace
from workspace.permissions import UserLike


class ApiView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [ApiJSONParser]
    renderer_classes = [EnvelopeRenderer]
    content_negotiation_class = ApiContentNegotiation
    throttle_classes = [TokenRateThrottle]

    @property
    def token(self) -> ApiToken:
        # IsAuthenticated admits only requests BearerTokenAuthentication accepted.
        token = self.request.auth
        if not isinstance(token, ApiToken):
            raise exceptions.NotAuthenticated()
        return token

    @property
    def workspace(self) -> Workspace:
        return self.token.workspace

    @property
    def actor(self) -> Actor:
        return Actor(token=self.token)

    @property
    def user(self) -> UserLike:
        return self.request.user

    def get_exception_handler(self) -> Any:
        return api_exception_handler

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            for name, value in state.headers.items():
                response[name] = value
        return response

    def validated(
        self, serializer_class: type[serializers.Serializer], data: Any = None
    ) -> dict[str, Any]:
        """The request body (or `data`) checked by `serializer_class`; 422 when invalid."""
        payload = self.request.data if data is None else data
        serializer = serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The query string checked by `serializer_class`, pagination parameters left out."""
        params = {
            k: v for k, v in self.request.query_params.items() if not k.startswith("pagination")
        }
        return self.validated(serializer_class, params)


def require(allowed: bool, message: str, field: str | None = None) -> None:
    """403 with `message` unless `allowed`: for resources of the token's own workspace."""
    if not allowed:
        raise PermissionDenied(message, field=field)
