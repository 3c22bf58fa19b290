"""Destination filter expressions: a small language, parsed by recursive descent.

    type = "track" and (event = "Order Completed" or match(event, "Order*"))
    properties.total > 100 and not contains(context.page.url, "/admin")

Literals: "strings", numbers, true, false, null. Paths: dotted field names
(`properties.total`; a segment that is not an identifier is quoted: `properties."a b"`).
Operators, lowest first: `or`, `and`, `not`/`!`, comparisons (`=` `!=` `<` `<=` `>` `>=`).
Functions: match(x, "glob*"), contains(x, y), exists(path), length(x), lowercase(x),
typeof(x). Missing fields are null; comparisons across types are false, never errors.
"""

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_EXPRESSION_LENGTH = 4000

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<op>!=|<=|>=|=|<|>|!|\(|\)|,|\.)
    | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "true", "false", "null"}


class FilterSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    at: int


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        found = _TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise FilterSyntaxError(
                f"unexpected character {text[pos:].lstrip()[:1]!r} "
                f"at position {len(text) - len(text[pos:].lstrip()) + 1}"
            )
        kind = found.lastgroup or ""
        value = found.group(kind)
        tokens.append(Token(kind, value, found.start(kind) + 1))
        pos = found.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _unquote(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _glob(value: Any, pattern: Any) -> bool:
    return (
        isinstance(value, str) and isinstance(pattern, str) and fnmatch.fnmatchcase(value, pattern)
    )


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, str):
        return isinstance(needle, str) and needle in haystack
    if isinstance(haystack, list):
        return needle in haystack
    if isinstance(haystack, dict):
        return isinstance(needle, str) and needle in haystack
    return False


def _typeof(value: Any) -> str:
    for kind, name in (
        (bool, "boolean"),
        (int, "number"),
        (float, "number"),
        (str, "string"),
        (list, "list"),
        (dict, "object"),
    ):
        if isinstance(value, kind):
            return name
    return "null"


_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "match": (2, _glob),
    "contains": (2, _contains),
    "exists": (1, lambda value: value is not None),
    "length": (1, lambda v: len(v) if isinstance(v, str | list | dict) else None),
    "lowercase": (1, lambda v: v.lower() if isinstance(v, str) else v),
    "typeof": (1, _typeof),
}

Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def take(self, kind: str, value: str | None = None) -> Token | None:
        token = self.token
        if token.kind == kind and (value is None or token.value == value):
            self.index += 1
            return token
        return None

    def expect(self, kind: str, value: str, what: str) -> Token:
        token = self.take(kind, value)
        if token is None:
            raise self.error(f"expected {what}")
        return token

    def error(self, message: str) -> FilterSyntaxError:
        token = self.token
        found = "end of expression" if token.kind == "end" else repr(token.value)
        return FilterSyntaxError(f"{message} at position {token.at}, found {found}")

    def parse(self) -> Node:
        node = self.parse_or()
        if self.token.kind != "end":
            raise self.error("expected an operator (and, or, =, ...)")
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.take("name", "or"):
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.take("name", "and"):
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.take("name", "not") or self.take("op", "!"):
            return ("not", self.parse_not())
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        left = self.parse_operand()
        if self.token.kind == "op" and self.token.value in _COMPARE:
            operator = self.token.value
            self.index += 1
            return ("compare", operator, left, self.parse_operand())
        return left

    def parse_operand(self) -> Node:
        token = self.token
        if self.take("op", "("):
            node = self.parse_or()
            self.expect("op", ")", "')'")
            return node
        if self.take("number"):
            number = float(token.value)
            return ("value", int(number) if number.is_integer() else number)
        if self.take("string"):
            return ("value", _unquote(token.value))
        if token.kind == "name" and token.value in ("true", "false", "null"):
            self.index += 1
            return ("value", {"true": True, "false": False, "null": None}[token.value])
        if token.kind == "name" and token.value not in _KEYWORDS:
            self.index += 1
            if self.token.kind == "op" and self.token.value == "(":
                return self.parse_call(token)
            return self.parse_path(token.value)
        raise self.error("expected a field, a value or '('")

    def parse_path(self, first: str) -> Node:
        parts = [first]
        while self.take("op", "."):
            token = self.take("name") or self.take("string")
            if token is None:
                raise self.error("expected a field name after '.'")
            parts.append(_unquote(token.value) if token.kind == "string" else token.value)
        return ("path", tuple(parts))

    def parse_call(self, name: Token) -> Node:
        if name.value not in _FUNCTIONS:
            raise FilterSyntaxError(
                f"unknown function {name.value!r} at position {name.at}; "
                f"known: {', '.join(sorted(_FUNCTIONS))}"
            )
        self.expect("op", "(", "'('")
        args: list[Node] = []
        if not self.take("op", ")"):
            args.append(self.parse_or())
            while self.take("op", ","):
                args.append(self.parse_or())
            self.expect("op", ")", "')' or ','")
        arity = _FUNCTIONS[name.value][0]
        if len(args) != arity:
            raise FilterSyntaxError(
                f"{name.value}() takes {arity} argument(s), got {len(args)} at position {name.at}"
            )
        return ("call", name.value, tuple(args))


def parse_expression(text: str) -> Node:
    """The syntax tree of `text`, or FilterSyntaxError with a message for people."""
    if not isinstance(text, str) or not text.strip():
        raise FilterSyntaxError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise FilterSyntaxError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} chars")
    try:
        return _Parser(text).parse()
    except RecursionError:
        raise FilterSyntaxError("the expression is nested too deeply") from None


def lookup(event: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(event, dict):
            return None
        event = event.get(part)
    return event


def evaluate(node: Node, event: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "value":
        return node[1]
    if kind == "path":
        return lookup(event, node[1])
    if kind == "and":
        return _truthy(evaluate(node[1], event)) and _truthy(evaluate(node[2], event))
    if kind == "or":
        return _truthy(evaluate(node[1], event)) or _truthy(evaluate(node[2], event))
    if kind == "not":
        return not _truthy(evaluate(node[1], event))
    if kind == "call":
        return _FUNCTIONS[node[1]][1](*(evaluate(arg, event) for arg in node[2]))
    left, right = evaluate(node[2], event), evaluate(node[3], event)
    if isinstance(left, bool) != isinstance(right, bool):
        # Python's True == 1 is not what a filter author means.
        return node[1] == "!="
    try:
        return _COMPARE[node[1]](left, right)
    except TypeError:
        return False


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def matches(expression: str | Node, event: dict[str, Any]) -> bool:
    node = parse_expression(expression) if isinstance(expression, str) else expression
    return _truthy(evaluate(node, event))
