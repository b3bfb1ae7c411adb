"""The sandbox reminder messages render in: Jinja's ``ImmutableSandboxedEnvironment``, closed further.

A schedule's messages are edited by the organisation's own people, so a template is untrusted
code. On top of Jinja's sandbox (no underscore attributes, no mutating methods):

- no attribute of any object is reachable: the values are plain (a row's fields are dict keys),
  and ``loop.index`` and its siblings are the only attributes allowed; no globals (``range``,
  ``lipsum``, ``cycler``, ``namespace``);
- whatever a template prints, joins with ``~`` or formats with ``%`` passes through
  :func:`plain`: a value that is not a string or a number (``self``, ``loop``, a macro) prints as
  nothing, so no repr of a Python object reaches a customer;
- a short list of filters, without those that pad to a width the template chooses, and ``*``,
  ``**`` refused past small sizes, so a template cannot build a gigabyte (the caller caps the
  source and the output);
- an undefined name prints as nothing, even called or read further.

Blocks trim the newline after them and the spaces before them (``trim_blocks``,
``lstrip_blocks``), so that a person can put ``{% if %}`` on its own line without leaving blank
lines in the message.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from jinja2 import ChainableUndefined, Template, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

# The largest string or list a template may build with ``*``, and the largest power.
REPEAT_LIMIT = 10_000
POWER_LIMIT = 64

_LOOP_ATTRIBUTES = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "previtem", "nextitem"}
)


def plain(value: Any) -> Any:
    """What a template may print of a value: strings and numbers as they are, lists joined, and
    nothing of any other object (no repr reaches a message)."""
    if isinstance(value, Undefined) or value is None:
        return ""
    if isinstance(value, str | int | float | Decimal):  # bool is an int
        return value
    if isinstance(value, list | tuple):
        shown = [plain(item) for item in value]
        return ", ".join(str(item) for item in shown if item != "")
    return ""


class _Silent(ChainableUndefined):
    """An undefined name prints as nothing, even called: a typo must not stop the day's sending
    (the editor's :func:`check` names it)."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> _Silent:  # type: ignore[override]
        return self


class _PlainCodeGenerator(CodeGenerator):
    """Jinja's code generator, but ``a ~ b`` joins plain values (``self ~ ''`` prints nothing)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.plain_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("), context.eval_ctx.autoescape)")


class _MessageEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _PlainCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *, autoescape: bool) -> None:
        super().__init__(
            autoescape=autoescape,
            undefined=_Silent,
            finalize=plain,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            cache_size=0,
        )
        self.globals.clear()
        self.filters = {name: FILTERS[name] for name in _FILTERS}
        self.filters["string"] = lambda value: str(plain(value))
        self.filters["join"] = _join

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # Rows are dicts (read by key, not attribute): the loop's counters are all there is.
        return isinstance(obj, LoopContext) and attr in _LOOP_ATTRIBUTES

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if (
                    isinstance(sized, str | list | tuple)
                    and isinstance(times, int)
                    and len(sized) * times > REPEAT_LIMIT
                ):
                    raise SecurityError("the result of * would be too long")
        if operator == "**" and (
            not isinstance(right, int | float) or abs(right) > POWER_LIMIT or abs(left) > 10**6
        ):
            raise SecurityError("the power is too large")
        if operator == "%" and isinstance(left, str):
            right = (
                tuple(plain(item) for item in right)
                if isinstance(right, tuple)
                else {key: plain(item) for key, item in right.items()}
                if isinstance(right, dict)
                else plain(right)
            )
        return super().call_binop(context, operator, left, right)

    @staticmethod
    def plain_concat(values: Iterable[Any], autoescape: bool) -> str:
        """``a ~ b ~ …`` of plain values (what the code generator calls for ``~``)."""
        shown = [plain(value) for value in values]
        if autoescape:
            return Markup("").join(escape(value) for value in shown)
        return "".join(str(value) for value in shown)


def _join(value: Any, separator: str = "", attribute: str | int | None = None) -> str:
    items = value if isinstance(value, list | tuple) else [value]
    if attribute is not None:
        items = [item.get(attribute, "") if isinstance(item, dict) else "" for item in items]
    shown = [plain(item) for item in items]
    if any(isinstance(item, Markup) for item in shown) or isinstance(separator, Markup):
        return escape(separator).join(escape(item) for item in shown)
    return str(separator).join(str(item) for item in shown)


# Filters that transform plain data within bounds: none pads to a width the template chooses
# (center, indent, format), repeats by a count (slice) or prints objects (pprint, tojson), and
# ``safe`` is left out so that what the ledger says of a customer is always escaped in HTML.
_FILTERS = frozenset(
    {
        "abs",
        "batch",
        "capitalize",
        "count",
        "d",
        "default",
        "dictsort",
        "e",
        "escape",
        "first",
        "float",
        "groupby",
        "int",
        "items",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "select",
        "selectattr",
        "sort",
        "striptags",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "urlize",
        "wordcount",
        "wordwrap",
    }
)

TEXT = _MessageEnvironment(autoescape=False)
HTML = _MessageEnvironment(autoescape=True)


@functools.lru_cache(maxsize=512)
def compiled(source: str, *, html: bool) -> Template:
    """The template compiled for the text part (and subject) or, autoescaped, the HTML part."""
    return (HTML if html else TEXT).from_string(source)
