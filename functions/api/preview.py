"""Test runs: `POST /api/functions/{id}/preview` (a saved function, or its unsaved `code`) and
`POST /api/functions/preview` (unsaved code and resourceType). Same runtime as production;
test settings come from the request only, never from an instance."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from functions.api.functions import FUNCTION_ID, FunctionApiView
from functions.api.serializers import RESOURCE_TYPES, FunctionSettingSerializer
from functions.runtime.results import STATUSES
from functions.schema import validate_settings_schema
from workspace.api.serializers import StrictSerializer
from workspace.api.views import ApiView
from workspace.errors import InvalidInput
from workspace.permissions import Action, require

TAGS = ["Function Test Runs"]
MAX_EVENTS = 100


class PreviewInputSerializer(StrictSerializer):
    event = serializers.DictField(required=False, help_text="One event to run the handler on.")
    events = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        min_length=1,
        max_length=MAX_EVENTS,
        help_text="A batch of events (runs onBatch when the code defines it).",
    )
    settings = serializers.DictField(
        required=False, default=dict, help_text="Test setting values, checked against the schema."
    )
    code = serializers.CharField(
        required=False,
        trim_whitespace=False,
        help_text="Unsaved code to run instead of the saved code.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("event" in attrs) == ("events" in attrs):
            raise serializers.ValidationError({"event": "Give exactly one of event or events."})
        return attrs


class UnsavedPreviewInputSerializer(PreviewInputSerializer):
    code = serializers.CharField(trim_whitespace=False)
    resourceType = serializers.ChoiceField(choices=RESOURCE_TYPES)
    settingsSchema = FunctionSettingSerializer(
        many=True, required=False, help_text="The settings of the unsaved function."
    )


class RunErrorSerializer(serializers.Serializer):
    type = serializers.CharField()
    message = serializers.CharField(allow_blank=True)


class EventResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES)
    error = RunErrorSerializer(allow_null=True)
    output = serializers.JSONField(allow_null=True, help_text="The event an insert returned.")


class PreviewOutputSerializer(serializers.Serializer):
    """One event: `status`, `error`, `output`; a batch: `results`. Both: logs, requests.
    A returned event over 1 MB is left out (`output` null, error `OutputTooLarge`); log
    lines and request trace fields over 4096 characters are cut."""

    status = serializers.ChoiceField(choices=STATUSES, required=False)
    error = RunErrorSerializer(allow_null=True, required=False)
    output = serializers.JSONField(allow_null=True, required=False)
    results = EventResultSerializer(many=True, required=False)
    logs = serializers.ListField(child=serializers.CharField(allow_blank=True))
    requests = serializers.ListField(child=serializers.DictField())
    duration_ms = serializers.FloatField()


def _run(**kwargs: Any) -> dict[str, Any]:
    # Imported on use: the runtime loads V8 only when a test run asks for it.
    from functions.preview import PreviewInputError, preview_run

    try:
        return preview_run(**kwargs)
    except PreviewInputError as exc:
        raise InvalidInput(str(exc), field=str(exc).split(" ")[0]) from None


class FunctionPreviewView(FunctionApiView):
    @extend_schema(
        operation_id="previewFunction",
        tags=TAGS,
        parameters=[FUNCTION_ID],
        request=PreviewInputSerializer,
        responses={200: PreviewOutputSerializer},
    )
    def post(self, request: Request, functionId: str) -> Response:
        function = self.viewable_function(functionId)
        require(self.user, Action.FUNCTION_RUN, self.workspace, function)
        data = self.validated(PreviewInputSerializer)
        return Response(
            _run(
                code=data.get("code", function.code),
                resource_type=function.resource_type,
                settings_schema=function.settings_schema,
                settings=data["settings"],
                event=data.get("event"),
                events=data.get("events"),
            )
        )


class UnsavedPreviewView(ApiView):
    @extend_schema(
        operation_id="previewUnsavedFunction",
        tags=TAGS,
        request=UnsavedPreviewInputSerializer,
        responses={200: PreviewOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        require(self.user, Action.FUNCTION_RUN, self.workspace)
        data = self.validated(UnsavedPreviewInputSerializer)
        schema = validate_settings_schema([dict(s) for s in data.get("settingsSchema", [])])
        return Response(
            _run(
                code=data["code"],
                resource_type=data["resourceType"],
                settings_schema=schema,
                settings=data["settings"],
                event=data.get("event"),
                events=data.get("events"),
            )
        )
