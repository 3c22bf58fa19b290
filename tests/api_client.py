"""Helpers for Public API tests: a client bound to a bearer token of a given role."""

import json
from typing import Any

import pytest
from django.test import Client

from workspace.audit import SYSTEM
from workspace.models import AuditEvent
from workspace.services import api_token_create


class Api:
    def __init__(self, raw_token: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
        self.token = raw_token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        raw: bytes | None = None,
        **params: Any,
    ) -> Any:
        url = "/api/" + path.lstrip("/")
        handler = getattr(self.client, method.lower())
        if method.upper() == "GET":
            return handler(url, params)
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        if params:
            from urllib.parse import urlencode

            url += "?" + urlencode(params)
        return handler(url, data=data, content_type=content_type)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, **params)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, None, **kwargs)


def api_for(workspace: Any, role: str, objects: list[Any] | None = None) -> Api:
    _, raw = api_token_create(
        workspace=workspace, name=f"{role} token", role=role, actor=SYSTEM, objects=objects
    )
    return Api(raw)


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"errors"}, body
    assert body["errors"], body
    return body["errors"][0]


def audit_count() -> int:
    return AuditEvent.objects.count()


@pytest.fixture
def api(workspace: Any) -> Api:
    """An owner token of `workspace`."""
    return api_for(workspace, "owner")
