"""The QuickBooks query language: a tokenizer and a recursive-descent parser.

Grammar, from Intuit's "Query operations and syntax" page (DQ) and its 2017 deep dive:

    SELECT * | COUNT(*) FROM Entity
        [WHERE path op value [AND path op value ...]]
        [ORDERBY path [ASC|DESC] [, ...]]      -- python-quickbooks' all() sends "ORDER BY";
                                               -- more than one key only when strictness allows
        [STARTPOSITION n] [MAXRESULTS n]

`op` is one of = < > <= >= LIKE IN; values are 'quoted' (backslash escapes), numbers, true or
false; IN takes a parenthesised list. OR, GROUP BY, JOIN and projections are not supported;
python-quickbooks sends `SELECT *, Sku FROM Item`, so extra names after `*` are accepted and
ignored. Keywords are case-insensitive, entity names are not. A syntax error becomes Intuit's
QueryParserError (code 4000) with a JavaCC-like "Encountered ... at line 1, column N" detail,
the form seen in node-quickbooks#56.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .faults import QueryParserError

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_CAP = 1000

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)

OPERATORS = ("=", "<", ">", "<=", ">=", "LIKE", "IN")
_KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "orderby",
    "order",
    "by",
    "asc",
    "desc",
    "startposition",
    "maxresults",
    "count",
    "like",
    "in",
    "true",
    "false",
}


@dataclass(frozen=True)
class Token:
    """One lexeme; `kind` is string/number/op/punct/name/eof, `column` is 1-based."""

    kind: str
    text: str
    column: int

    @property
    def keyword(self) -> str:
        """The upper-cased text when the token is a bare word, else ''."""
        return self.text.upper() if self.kind == "name" else ""


@dataclass(frozen=True)
class Condition:
    """`path op value`; for IN, `value` is a tuple."""

    path: str
    operator: str
    value: object


@dataclass(frozen=True)
class Ordering:
    """One ORDERBY term."""

    path: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed SELECT statement; positions are as the client wrote them (1-based)."""

    entity: str
    count_only: bool = False
    conditions: tuple[Condition, ...] = ()
    ordering: tuple[Ordering, ...] = ()
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS
    extra_fields: tuple[str, ...] = field(default=())


def tokenize(text: str) -> list[Token]:
    """Split a statement into tokens or raise the lexical QueryParserError."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise QueryParserError(
                f"Invalid content. Lexical error at line 1, column {position + 1}.  "
                f'Encountered: "{text[position]}" ({ord(text[position])}), after : ""'
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


class _Parser:
    def __init__(self, text: str, one_sort_key: bool = False) -> None:
        if not text.strip():
            raise QueryParserError("The query provided was empty")
        self.tokens = tokenize(text)
        self.index = 0
        self.one_sort_key = one_sort_key

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def fail(self, *expected: str) -> QueryParserError:
        token = self.current
        shown = "<EOF>" if token.kind == "eof" else f'<{token.kind.upper()}> "{token.text} "'
        wanted = "\n    ".join(f'"{word.lower()}" ...' for word in expected)
        return QueryParserError(
            f'Encountered " {shown}" at line 1, column {token.column}.\nWas expecting one of:\n    {wanted}\n    '
        )

    def expect_keyword(self, *words: str) -> str:
        if self.current.keyword in words:
            return self.advance().keyword
        raise self.fail(*words)

    def expect_punct(self, text: str) -> None:
        if self.current.kind == "punct" and self.current.text == text:
            self.advance()
            return
        raise self.fail(text)

    def expect_path(self) -> str:
        token = self.current
        if token.kind == "name" and token.text.lower() not in _KEYWORDS:
            return self.advance().text
        raise self.fail("<IDENTIFIER>")

    def expect_integer(self) -> int:
        token = self.current
        if token.kind == "number" and token.text.lstrip("-").isdigit():
            return int(self.advance().text)
        raise self.fail("<INTEGER>")

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        count_only = False
        extra: list[str] = []
        if self.current.keyword == "COUNT":
            self.advance()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count_only = True
        else:
            self.expect_punct("*")
            while self.current.kind == "punct" and self.current.text == ",":
                self.advance()
                extra.append(self.expect_path())
        self.expect_keyword("FROM")
        entity = self.expect_path()
        conditions: list[Condition] = []
        if self.current.keyword == "WHERE":
            self.advance()
            conditions.append(self.condition())
            while self.current.keyword in ("AND", "OR"):
                if self.current.keyword == "OR":
                    # Intuit: "The OR operation is not supported in WHERE clauses."
                    raise self.fail("<EOF>", "<AND>", "orderby", "startposition", "maxresults")
                self.advance()
                conditions.append(self.condition())
        ordering = self.ordering()
        start, maximum = 1, DEFAULT_MAX_RESULTS
        if self.current.keyword == "STARTPOSITION":
            self.advance()
            start = self.expect_integer()
        if self.current.keyword == "MAXRESULTS":
            self.advance()
            maximum = self.expect_integer()
        if self.current.kind != "eof":
            raise self.fail("<EOF>", "<AND>", "orderby", "startposition", "maxresults")
        return Query(
            entity=entity,
            count_only=count_only,
            conditions=tuple(conditions),
            ordering=ordering,
            start_position=max(start, 1),
            # More than 1000 is capped, not refused (secondary: waymark AQL notes).
            max_results=min(max(maximum, 0), MAX_RESULTS_CAP),
            extra_fields=tuple(extra),
        )

    def ordering(self) -> tuple[Ordering, ...]:
        if self.current.keyword == "ORDER":
            self.advance()
            self.expect_keyword("BY")
        elif self.current.keyword == "ORDERBY":
            self.advance()
        else:
            return ()
        terms = [self.order_term()]
        if self.one_sort_key and self.current.kind == "punct" and self.current.text == ",":
            # The documented grammar has one sort attribute (DQ); strictness.py.
            raise self.fail("<EOF>", "startposition", "maxresults")
        while self.current.kind == "punct" and self.current.text == ",":
            self.advance()
            terms.append(self.order_term())
        return tuple(terms)

    def order_term(self) -> Ordering:
        path = self.expect_path()
        if self.current.keyword in ("ASC", "DESC"):
            return Ordering(path, self.advance().keyword == "DESC")
        return Ordering(path)

    def condition(self) -> Condition:
        path = self.expect_path()
        token = self.current
        if token.kind == "op" and token.text in OPERATORS:
            self.advance()
            return Condition(path, token.text, self.value())
        if token.keyword == "LIKE":
            self.advance()
            if self.current.kind != "string":
                raise self.fail("<STRING>")
            return Condition(path, "LIKE", _unquote(self.advance().text))
        if token.keyword == "IN":
            self.advance()
            self.expect_punct("(")
            values = [self.value()]
            while self.current.kind == "punct" and self.current.text == ",":
                self.advance()
                values.append(self.value())
            self.expect_punct(")")
            return Condition(path, "IN", tuple(values))
        raise self.fail("=", "<", ">", "<=", ">=", "like", "in")

    def value(self) -> object:
        token = self.current
        if token.kind == "string":
            self.advance()
            return _unquote(token.text)
        if token.kind == "number":
            self.advance()
            return token.text
        if token.keyword in ("TRUE", "FALSE"):
            self.advance()
            return token.keyword == "TRUE"
        if token.kind == "name" and token.text.lower() not in _KEYWORDS:
            # Intuit allows value_without_quote (DQ).
            self.advance()
            return token.text
        raise self.fail("<STRING>", "<NUMBER>", "true", "false")


def parse_query(text: str, one_sort_key: bool = False) -> Query:
    """Parse one SELECT statement or raise QueryParserError (code 4000); with ``one_sort_key``
    a second ORDERBY attribute is a syntax error."""
    return _Parser(text, one_sort_key).parse()
