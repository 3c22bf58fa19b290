"""Forms of the Members page: a role with its scope, for a person or an API token."""

from typing import Any

from django import forms
from django.apps import apps
from django.db import models

from workspace.models import Role, Workspace

SCOPES = [("all", "All"), ("chosen", "Chosen ones")]
_FUNCTION_ROLES = (Role.FUNCTIONS_ADMIN, Role.FUNCTIONS_READONLY)


def scoped_models() -> tuple[type[models.Model], type[models.Model]]:
    """FunctionClass and Source, looked up by name: the workspace app sits below the apps
    that define them and does not import them."""
    return apps.get_model("functions", "FunctionClass"), apps.get_model("delivery", "Source")


class RoleForm(forms.Form):
    # The least privilege first: an owner picks a wider role on purpose.
    role = forms.ChoiceField(choices=Role.choices, initial=Role.FUNCTIONS_READONLY)
    scope = forms.ChoiceField(choices=SCOPES, initial="all", widget=forms.RadioSelect)
    functions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Functions"
    )
    sources = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Sources"
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        function_model, source_model = scoped_models()
        self.functions_qs = function_model._default_manager.filter(workspace=workspace)
        self.sources_qs = source_model._default_manager.filter(workspace=workspace)
        self.fields["functions"].choices = [(f.pk, str(f)) for f in self.functions_qs]  # type: ignore[attr-defined]
        self.fields["sources"].choices = [(s.pk, str(s)) for s in self.sources_qs]  # type: ignore[attr-defined]

    def objects(self) -> list[models.Model] | None:
        """None for a role over everything; else the chosen functions or sources."""
        data = self.cleaned_data
        if data["scope"] == "all" or data["role"] == Role.OWNER:
            return None
        if data["role"] in _FUNCTION_ROLES:
            return list(self.functions_qs.filter(pk__in=data["functions"]))
        return list(self.sources_qs.filter(pk__in=data["sources"]))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") != "chosen" or data.get("role") in (None, Role.OWNER):
            return data
        field = "functions" if data["role"] in _FUNCTION_ROLES else "sources"
        if not data.get(field):
            self.add_error(field, f"Choose at least one of the {field}, or give the role over all.")
        return data


class MemberForm(RoleForm):
    prefix = "member"
    email = forms.EmailField(label="Email")
    field_order = ["email", "role", "scope", "functions", "sources"]


class TokenForm(RoleForm):
    prefix = "token"
    name = forms.CharField(max_length=100, label="Token name")
    field_order = ["name", "role", "scope", "functions", "sources"]
