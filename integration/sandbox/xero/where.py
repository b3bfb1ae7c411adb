"""Xero's `where` filter: a small C#-like expression language, compiled to a predicate.

Relance and common clients send things like `Type=="ACCREC" AND Status=="AUTHORISED"`,
`Contact.ContactID==guid("...")`, `Date>=DateTime(2024, 01, 01)`, `AmountDue > 0`,
`Name.Contains("Ltd")` (examples: OAS-ACC parameter examples; help.coupler.io and
linx.software where-filter pages, see xero-details.md 3.1). Anything else is a 400
QueryParseException, as on Xero.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import BadQuery

View = dict[str, Any]
Predicate = Callable[[View], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|>=|<=|&&|\|\||[<>=!(),.])
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_METHODS = {"contains", "startswith", "endswith"}


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise BadQuery(f"Syntax error near '{text[pos : pos + 20]}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Field:
    def __init__(self, path: str) -> None:
        self.path = path


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        return value.lower()
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _normalise(left), _normalise(right)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[op]
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str, fields: set[str]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.fields = {f.lower(): f for f in fields}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1].lower() != value.lower()):
            raise BadQuery(f"Expected '{value or 'expression'}'")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        left = self.peek()
        if left is not None:
            raise BadQuery(f"Syntax error near '{left[1]}'")
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while (token := self.peek()) and token[1].upper() in ("OR", "||"):
            self.pos += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda view: any(p(view) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while (token := self.peek()) and token[1].upper() in ("AND", "&&"):
            self.pos += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda view: all(p(view) for p in parts))

    def unary(self) -> Predicate:
        token = self.peek()
        if (token and token[1] in ("!",)) or (token and token[0] == "ident" and token[1].upper() == "NOT"):
            self.pos += 1
            inner = self.unary()
            return lambda view: not inner(view)
        if token and token[1] == "(":
            self.pos += 1
            inner = self.or_expr()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.operand()
        token = self.peek()
        if isinstance(left, tuple):  # a method call already is a predicate
            return left[1]
        if token and token[1] in ("==", "!=", ">=", "<=", ">", "<", "="):
            self.pos += 1
            op = "==" if token[1] == "=" else token[1]
            right = self.operand()
            if isinstance(right, tuple):
                raise BadQuery("Operator expected")
            return lambda view: _compare(op, self.value(left, view), self.value(right, view))
        if isinstance(left, _Field):  # a bare boolean field: `IsCustomer`
            return lambda view: bool(self.value(left, view))
        raise BadQuery("Operator expected")

    def value(self, operand: Any, view: View) -> Any:
        return view.get(operand.path) if isinstance(operand, _Field) else operand

    def operand(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "number":
            try:
                return Decimal(text)
            except InvalidOperation as exc:
                raise BadQuery(f"Invalid number '{text}'") from exc
        if kind != "ident":
            raise BadQuery(f"Syntax error near '{text}'")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if lowered == "guid":
            self.take("(")
            value = self.operand()
            self.take(")")
            return str(value).lower()
        if lowered == "datetime":
            return self.datetime_literal()
        path = [text]
        while (token := self.peek()) and token[1] == ".":
            self.pos += 1
            name = self.take()[1]
            if name.lower() in _METHODS and (nxt := self.peek()) and nxt[1] == "(":
                return ("method", self.method(".".join(path), name.lower()))
            path.append(name)
        dotted = ".".join(path)
        if dotted.lower() not in self.fields:
            raise BadQuery(f"No property or field '{dotted}' exists")
        return _Field(self.fields[dotted.lower()])

    def method(self, dotted: str, name: str) -> Predicate:
        if dotted.lower() not in self.fields:
            raise BadQuery(f"No property or field '{dotted}' exists")
        field = self.fields[dotted.lower()]
        self.take("(")
        needle = str(self.operand()).lower()
        self.take(")")

        def predicate(view: View) -> bool:
            value = view.get(field)
            if value is None:
                return False
            hay = str(value).lower()
            return {
                "contains": needle in hay,
                "startswith": hay.startswith(needle),
                "endswith": hay.endswith(needle),
            }[name]

        return predicate

    def datetime_literal(self) -> datetime:
        self.take("(")
        parts: list[int] = []
        first = self.operand()
        if isinstance(first, str):  # DateTime("2024-01-01")
            self.take(")")
            try:
                parsed = datetime.fromisoformat(first)
            except ValueError as exc:
                raise BadQuery(f"Invalid DateTime '{first}'") from exc
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        parts.append(int(first))
        while (token := self.peek()) and token[1] == ",":
            self.pos += 1
            parts.append(int(self.operand()))
        self.take(")")
        if len(parts) < 3:
            raise BadQuery("DateTime needs a year, a month and a day")
        try:
            return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type,misc]  # 3 ints or more; past 7 a TypeError
        except (TypeError, ValueError) as exc:
            raise BadQuery("Invalid DateTime") from exc


def compile_where(text: str | None, fields: set[str]) -> Predicate | None:
    """A predicate over a record's where-view, or None for an empty filter; BadQuery on errors."""
    if text is None or not text.strip():
        return None
    return _Parser(text, fields).parse()
