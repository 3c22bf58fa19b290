"""The Public API's shared machinery (bearer auth, envelopes, pagination, throttling).

Adding an endpoint, e.g. `GET /api/destinations/{id}/event-deliveries`:

1. In your app's `api/` package, subclass `workspace.api.views.ApiView`. It authenticates the
   bearer token (`self.workspace`, `self.actor` for services, `self.user` for permission
   checks), renders `{"data": ...}` on success and `{"errors": [...]}` for any exception,
   throttles with X-RateLimit-* headers and refuses bodies over 1 MB.
2. Look objects up inside `self.workspace` only, raising `workspace.errors.NotFound` when
   missing (another workspace's object is a 404, never a 403); then check roles with
   `require(can_..., "message")` from `workspace.api.views` (403 envelope).
3. Validate bodies with `self.validated(SomeStrictSerializer)` (unknown fields are a 422
   naming them) and query strings with `self.query(SomeSerializer)`; call one service (writes)
   or query (reads). Services raise `InvalidInput(message, field=...)` -> 422.
4. Lists: `page = paginate(queryset, request)` from `workspace.api.pagination`, answer
   `{"things": [...], "pagination": page.pagination}`; add `PAGINATION_PARAMETERS` and a
   `PaginationOutputSerializer` field to the schema.
5. Document with `@extend_schema(operation_id=..., tags=[...], responses={200: Output})`:
   the 200 body is documented inside `{"data": ...}` and the error responses are added
   automatically (`workspace.api.schema.ApiAutoSchema`).
6. Add the route to `workspace/api/urls.py` above the final catch-all.
"""
