"""The destination filter language and its actions."""

import pytest

from delivery.models import DestinationFilter
from delivery.routing.expressions import FilterSyntaxError, matches, parse_expression
from delivery.routing.filters import (
    apply_filters,
    compile_filters,
    destination_filter_create,
)
from tests.factories import source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.errors import InvalidInput

EVENT = {
    "type": "track",
    "event": "Order Completed",
    "userId": "u1",
    "messageId": "m1",
    "properties": {"total": 150, "currency": "EUR", "email": "a@b.c", "tags": ["vip"]},
    "context": {"page": {"url": "https://shop.example/admin/x"}, "ip": "1.2.3.4"},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('type = "track"', True),
        ('type = "identify"', False),
        ('event = "Order Completed"', True),
        ('event != "Order Completed"', False),
        ("properties.total > 100", True),
        ("properties.total >= 150", True),
        ("properties.total < 150", False),
        ("properties.total <= 150.0", True),
        ('type = "track" and properties.total > 100', True),
        ('type = "identify" or properties.total > 100', True),
        ('not type = "track"', False),
        ('!(event = "Order Completed")', False),
        ('match(event, "Order*")', True),
        ('match(event, "order*")', False),
        ('match(event, "Order ?ompleted")', True),
        ('contains(event, "Complete")', True),
        ('contains(properties.tags, "vip")', True),
        ('contains(context.page.url, "/admin")', True),
        ("exists(properties.email)", True),
        ("exists(properties.missing)", False),
        ("properties.missing = null", True),
        ("properties.missing > 1", False),
        ('properties.total > "100"', False),
        ("length(properties.tags) = 1", True),
        ('lowercase(properties.currency) = "eur"', True),
        ('typeof(properties.total) = "number"', True),
        ('properties."currency" = "EUR"', True),
        ("true = 1", False),
        ('type = "track" and (event = "Signed Up" or match(event, "Order*"))', True),
        ('type = "track" and not (properties.total > 100 or event = "x")', False),
        ('event = "say \\"hi\\""', False),
    ],
)
def test_filter_expression_evaluates(expression, expected):
    assert matches(expression, EVENT) is expected


def test_filter_precedence_binds_and_tighter_than_or():
    assert matches('type = "x" and event = "y" or properties.total = 150', EVENT)
    assert not matches('type = "x" and (event = "y" or properties.total = 150)', EVENT)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("type =", "expected a field, a value or '('"),
        ('type = "track', "unexpected character"),
        ("and", "expected a field"),
        ('type = "track" and', "expected a field"),
        ("(type = 1", "expected ')'"),
        ("type = 1)", "expected an operator"),
        ("type track", "expected an operator"),
        ("unknown(event)", "unknown function 'unknown'"),
        ("match(event)", "takes 2 argument(s), got 1"),
        ("properties.", "expected a field name after '.'"),
        ("type = 'track'", "unexpected character"),
        ("type == 1", "expected a field"),
        ("@", "unexpected character '@' at position 1"),
        ("(" * 2000 + "1" + ")" * 2000, "longer than"),
    ],
)
def test_malformed_filter_expression_is_refused_with_a_message(expression, message):
    with pytest.raises(FilterSyntaxError, match=None) as caught:
        parse_expression(expression)
    assert message in str(caught.value)


def test_deeply_nested_expression_is_refused_not_crashing():
    with pytest.raises(FilterSyntaxError, match=r"nested too deeply|longer"):
        parse_expression("not " * 990 + "true")


@pytest.mark.django_db
def test_filter_with_malformed_expression_is_refused_when_saved(workspace):
    hook = webhook_factory(source_factory(workspace))
    with pytest.raises(InvalidInput, match=r"invalid filter expression: .*position 8") as caught:
        destination_filter_create(
            destination=hook,
            actor=SYSTEM,
            title="bad",
            expression='type = "track',
            action="drop_event",
        )
    assert caught.value.field == "if"
    assert not DestinationFilter.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "extra", "message"),
    [
        ("explode", {}, "action must be one of"),
        ("drop_properties", {}, "fields must list"),
        ("sample", {"percent": 120}, "percent must be"),
    ],
)
def test_filter_with_bad_action_settings_is_refused(workspace, action, extra, message):
    hook = webhook_factory(source_factory(workspace))
    with pytest.raises(InvalidInput, match=message):
        destination_filter_create(
            destination=hook, actor=SYSTEM, title="t", expression="true", action=action, **extra
        )


def _filters(workspace, *specs):
    hook = webhook_factory(source_factory(workspace))
    items = [
        destination_filter_create(destination=hook, actor=SYSTEM, title=f"f{i}", **spec)
        for i, spec in enumerate(specs)
    ]
    return compile_filters(items)


@pytest.mark.django_db
def test_drop_event_and_only_send_actions(workspace):
    drop = _filters(workspace, {"expression": 'event = "Order Completed"', "action": "drop_event"})
    assert apply_filters(drop, EVENT) is None
    only = _filters(workspace, {"expression": 'type = "identify"', "action": "only_send"})
    assert apply_filters(only, EVENT) is None
    assert apply_filters(only, dict(EVENT, type="identify")) is not None


@pytest.mark.django_db
def test_drop_and_allow_properties_leave_the_original_event_alone(workspace):
    drop = _filters(
        workspace,
        {
            "expression": "true",
            "action": "drop_properties",
            "fields": ["properties.email", "context.ip"],
        },
    )
    out = apply_filters(drop, EVENT)
    assert "email" not in out["properties"] and "ip" not in out["context"]
    assert EVENT["properties"]["email"] == "a@b.c"
    allow = _filters(
        workspace,
        {"expression": "true", "action": "allow_properties", "fields": ["properties.total"]},
    )
    assert apply_filters(allow, EVENT)["properties"] == {"total": 150}
    assert apply_filters(allow, EVENT)["context"] == EVENT["context"]


@pytest.mark.django_db
def test_sample_keeps_about_the_percentage_and_is_stable_per_message(workspace):
    sample = _filters(workspace, {"expression": "true", "action": "sample", "percent": 30})
    kept = [apply_filters(sample, dict(EVENT, messageId=f"m{i}")) is not None for i in range(2000)]
    assert 0.25 < sum(kept) / len(kept) < 0.35
    again = [apply_filters(sample, dict(EVENT, messageId=f"m{i}")) is not None for i in range(2000)]
    assert kept == again
