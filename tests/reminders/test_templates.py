"""Reminder messages people edit: rendered in a sandbox from plain values, in the customer's
language, as text and HTML; nothing of Python reaches a message, and a broken template is a
TemplateProblem, never another exception."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.schedules.stages import Message
from reminders.schedules.templates import (
    PLACEHOLDERS,
    PROBLEMS,
    SUBJECT_LIMIT,
    InvoiceLine,
    MessageContext,
    Problem,
    TemplateProblem,
    check,
    render,
    render_text,
)

NZ_LINK = "https://in.xero.com/Invoice/0012?token=a&b=c"


def context(language: str = "en", **changes: Any) -> MessageContext:
    values: dict[str, Any] = {
        "language": language,
        "as_of": date(2026, 6, 30),
        "organisation_name": "Harbour Cafe Ltd",
        "sender_name": "Jo Smith",
        "customer_name": "Ridgeway University",
        "contact_name": "Sam Lee",
        "invoices": (
            InvoiceLine(
                "INV-0012",
                date(2026, 4, 1),
                date(2026, 5, 1),
                "NZD",
                Decimal("1234.50"),
                Decimal("1000.00"),
                60,
                NZ_LINK,
            ),
            InvoiceLine("INV-0013", date(2026, 6, 1), date(2026, 7, 1), "NZD", Decimal(50), Decimal(50), -1),
        ),
        "deadline": date(2026, 7, 7),
    }
    values.update(changes)
    return MessageContext(**values)


def body(text: str, **changes: Any) -> str:
    return render(Message(subject="s", body=text), context(**changes)).text.strip()


# --- values, formatted for the language ----------------------------------------------------------


def test_the_context_totals_what_is_owed_and_overdue_by_currency() -> None:
    usd = InvoiceLine("B-1", date(2026, 5, 1), date(2026, 5, 31), "USD", Decimal(80), Decimal(20), 30)
    derived = context(invoices=(*context().invoices, usd))
    assert derived.owed == {"NZD": Decimal("1050.00"), "USD": Decimal(20)}
    assert derived.overdue == {"NZD": Decimal("1000.00"), "USD": Decimal(20)}
    assert derived.oldest_days_late == 60
    assert context(invoices=()).oldest_days_late is None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "NZ$1,050.00 | NZ$1,000.00 | 60 | Jul 7, 2026 | May 1, 2026 | INV-0012 and INV-0013"),
        (
            "fr",
            "1\u202f050,00\xa0$NZ | 1\u202f000,00\xa0$NZ | 60 | 7 juil. 2026 | 1 mai 2026 | INV-0012 et INV-0013",
        ),
    ],
)
def test_money_and_dates_are_formatted_in_the_message_language(language: str, expected: str) -> None:
    source = "{{ total_due }} | {{ total_overdue }} | {{ days_late }} | {{ deadline }} | {{ due_date }} | {{ invoice_numbers }}"
    assert body(source, language=language) == expected


def test_totals_in_several_currencies_are_joined_in_words() -> None:
    usd = InvoiceLine("B-1", date(2026, 5, 1), date(2026, 5, 31), "USD", Decimal(80), Decimal(20), 30)
    invoices = (*context().invoices, usd)
    assert body("{{ total_due }}", invoices=invoices) == "NZ$1,050.00 and $20.00"
    assert body("{{ total_due }}", invoices=invoices, language="fr") == "1\u202f050,00\xa0$NZ et 20,00\xa0$US"


def test_rows_are_plain_strings_to_loop_over() -> None:
    source = "{% for invoice in invoices %}{{ loop.index }}. {{ invoice.number }} {{ invoice.amount_due }} {{ invoice.days_late }}\n{% endfor %}"
    assert body(source) == "1. INV-0012 NZ$1,000.00 60\n2. INV-0013 NZ$50.00 -1"


def test_a_locale_of_the_language_refines_money_and_dates() -> None:
    assert body("{{ total_due }} {{ deadline }}", locale="en_NZ") == "$1,050.00 7 Jul 2026"
    assert body("{{ total_due }}", language="fr", locale="fr_CA") == "1\xa0050,00\xa0$\xa0NZ"
    # A locale of another language, or none Babel knows, is ignored.
    assert body("{{ total_due }}", locale="fr_FR") == "NZ$1,050.00"
    assert body("{{ total_due }}", locale="xx_YY") == "NZ$1,050.00"


def test_contact_name_falls_back_to_the_customer() -> None:
    assert body("Dear {{ contact_name }},", contact_name=None) == "Dear Ridgeway University,"


def test_the_text_table_lists_each_invoice_and_the_total() -> None:
    table = body("{{ invoices_table }}").splitlines()
    assert table[0].split() == ["Invoice", "Date", "Due", "Total", "Amount", "due", "Days", "late"]
    assert table[2].split() == [
        "INV-0012",
        "Apr",
        "1,",
        "2026",
        "May",
        "1,",
        "2026",
        "NZ$1,234.50",
        "NZ$1,000.00",
        "60",
    ]
    # Not yet due: no days late shown.
    assert table[3].split()[-1] == "NZ$50.00"
    assert table[4].split() == ["Total", "due", "NZ$1,050.00"]


def test_undefined_names_render_empty() -> None:
    assert body("a{{ nothing }}b{{ nothing.deeper.still }}c{{ nothing() }}d") == "abcd"


def test_payment_links_are_the_invoices_online_pages() -> None:
    assert body("{% for link in payment_links %}{{ link }}{% endfor %}") == NZ_LINK


# --- subject, text, HTML -------------------------------------------------------------------------


def test_the_subject_is_one_line_and_capped() -> None:
    rendered = render(Message(subject="Invoice\n{{ invoice_numbers }}\r\n  due", body=""), context())
    assert rendered.subject == "Invoice INV-0012 and INV-0013 due"
    long = render(Message(subject="x" * 400, body=""), context()).subject
    assert len(long) == SUBJECT_LIMIT
    assert long.endswith("…")


def test_html_escapes_what_the_ledger_says_and_text_keeps_it() -> None:
    rendered = render(
        Message(subject="{{ customer_name }}", body="Hello {{ customer_name }}"),
        context(customer_name="<b>&"),
    )
    assert rendered.subject == "<b>&"
    assert rendered.text == "Hello <b>&\n"
    assert "Hello &lt;b&gt;&amp;" in rendered.html
    assert "<b>&" not in rendered.html
    assert "<title>&lt;b&gt;&amp;</title>" in rendered.html


def test_html_has_paragraphs_line_breaks_and_the_invoices_table() -> None:
    html = render(
        Message(
            subject="s",
            body="Dear {{ contact_name }},\n\n{{ invoices_table }}\nPay here:\n{{ payment_links }}",
        ),
        context(),
    ).html
    assert '<p style="margin:0 0 16px 0;">Dear Sam Lee,</p>' in html
    table = re.search(r"<table cellpadding.*?</table>", html, re.S)
    assert table is not None
    assert "<p" not in table.group(0)  # the table stands alone, not inside a paragraph
    assert "NZ$1,000.00" in table.group(0) and "Amount due" in table.group(0)
    assert (
        '<a href="https://in.xero.com/Invoice/0012?token=a&amp;b=c" style="color:#1a5fb4;">INV-0012</a>'
        in html
    )
    assert "Pay here:<br>" in html
    assert f">{NZ_LINK.replace('&', '&amp;')}</a></p>" in html  # the address is a link
    assert 'style="' in html and "<style" not in html and "<link" not in html  # inline styles only


def test_only_web_addresses_become_links() -> None:
    line = InvoiceLine("X-1", date(2026, 6, 1), None, "NZD", Decimal(5), Decimal(5), 3, "javascript:alert(1)")
    html = render(Message(subject="s", body="{{ invoices_table }}"), context(invoices=(line,))).html
    assert "javascript:" not in html.split("<body")[1].split("X-1")[0]
    assert 'href="javascript' not in html


def test_french_table_headers() -> None:
    rendered = render(Message(subject="s", body="{{ invoices_table }}"), context(language="fr"))
    for word in ("Facture", "Échéance", "Reste dû", "Jours de retard", "Total dû"):
        assert word in rendered.text and word in rendered.html
    assert 'lang="fr"' in rendered.html


def test_talking_points_render_as_text() -> None:
    assert (
        render_text("{{ customer_name }}: {{ total_overdue }}\n", context())
        == "Ridgeway University: NZ$1,000.00"
    )


# --- errors at send time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ customer_name",
        "{% for x in invoices %}",
        "{{ 1 / 0 }}",
        "{{ customer_name|nofilter }}",
        "{% include 'secrets.txt' %}",
        "{{ days_late > 'a' }}",
    ],
)
def test_a_broken_template_is_a_template_problem(source: str) -> None:
    with pytest.raises(TemplateProblem):
        render(Message(subject="s", body=source), context())


def test_the_problem_says_which_part_and_line() -> None:
    with pytest.raises(TemplateProblem, match=r"^body, line 3: "):
        render(Message(subject="s", body="a\nb\n{{ x"), context())


# --- the sandbox ---------------------------------------------------------------------------------

REACHING_PYTHON = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self._TemplateReference__context.cycler }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ request }}",
    "{{ request.environ }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ range.__self__ }}",
    "{{ self }}",
    "{{ self.__init__ }}",
    "{{ self|string }}",
    "{{ self ~ '' }}",
    "{{ '%s %r' % (self, self) }}",
    "{{ [self]|join }}",
    "{% for i in invoices %}{{ loop }}{{ loop|string }}{{ loop.__class__ }}{% endfor %}",
    "{% macro m() %}{% endmacro %}{{ m }}{{ m ~ '' }}{{ m|string }}",
    "{{ invoices[0].items() }}",
    "{{ invoices[0].__class__ }}",
    "{{ invoices.pop() }}",
    "{{ customer_name.__class__.__base__ }}",
    "{{ customer_name.upper }}",
    "{{ customer_name|attr('__class__') }}",
    "{{ ''|attr('__class__') }}",
    "{{ invoices|map(attribute='__class__')|list }}",
    "{{ invoices|pprint }}",
    "{{ invoices|tojson }}",
    "{{ {'a': self} }}",
    "{{ (1).__class__ }}",
    "{% set x = ''.__class__ %}{{ x }}",
    "{{ undefined_thing.__class__ }}",
    "{{ caller }}{{ varargs }}{{ kwargs }}",
]
# What the repr or the contents of a Python object would show.
PYTHON_TRACES = re.compile(
    r"<class|<function|<built-in|<module|<bound|<Template|<Loop|<Macro|<jinja|Undefined|"
    r"object at|\bos\b|__|environ|popen|subprocess|builtins|uid=",
    re.I,
)


@pytest.mark.parametrize("source", REACHING_PYTHON)
def test_a_template_reaches_nothing_of_python(source: str) -> None:
    for language in ("en", "fr"):
        try:
            rendered = render(Message(subject=source, body=source), context(language))
        except TemplateProblem as problem:  # refused: the action fails, nothing is sent
            assert not PYTHON_TRACES.search(str(problem).split(":", 1)[0])
            continue
        for part in (rendered.subject, rendered.text, rendered.html):
            assert not PYTHON_TRACES.search(part), part
        assert rendered.subject.strip(" '") == "" and rendered.text.strip(" '\n") == ""


@pytest.mark.parametrize("source", [source for source in REACHING_PYTHON if "macro" not in source])
def test_the_editor_is_told_about_a_template_reaching_python(source: str) -> None:
    assert check(Message(subject="s", body=source)) != []


def test_values_have_fields_but_no_methods() -> None:
    """Defence in depth: only the documented fields are reachable, no method of str, dict or list."""
    assert body("{{ customer_name.upper() }}{{ invoices[0].keys()|list }}{{ payment_links.index(1) }}") == ""
    assert body("{{ customer_name|upper }} {{ invoices[0].number }}") == "RIDGEWAY UNIVERSITY INV-0012"


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 1000000 }}",
        "{{ [1] * 1000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ 10 ** 1000 }}",
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "{{ ''|center(1000000000) }}",
        "{{ invoices|slice(1000000000)|list }}",
        "{{ range(1000000000)|list }}",
        "{{ 'x' ~ ('y' * 20000) }}",
    ],
)
def test_a_template_cannot_make_the_worker_build_a_huge_result(source: str) -> None:
    try:
        rendered = render(Message(subject="s", body=source), context())
    except TemplateProblem:
        return
    assert len(rendered.text) < 1000


def test_the_source_is_capped() -> None:
    with pytest.raises(TemplateProblem, match="longer than"):
        render(Message(subject="s", body="x" * 30_000), context())


_TOKENS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "for", " in ", "if", "else", "endfor", "endif", "set", "=",
    "macro", "endmacro", "call", "endcall", "raw", "endraw", "block", "endblock", "filter",
    "invoices", "customer_name", "days_late", "loop", "self", "caller", "x", "1", "0", "'",
    '"', "(", ")", "[", "]", ".", ",", "|", "~", "*", "**", "/", "//", "%", "-", "+", "<", ">",
    "__class__", "__globals__", "join", "upper", "string", "attr", "map", "sum", "first", "int",
    " ", "\n", "is", "not", "defined", "none", "true",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join),
        st.text(max_size=200),
    ),
    st.sampled_from(["en", "fr"]),
)
def test_render_never_raises_anything_but_a_template_problem(source: str, language: str) -> None:
    with contextlib.suppress(TemplateProblem):
        render(Message(subject=source, body=source), context(language))
    check(Message(subject=source, body=source))  # the editor's check never raises either


# --- check(), for the editor ---------------------------------------------------------------------


def test_every_documented_placeholder_checks_clean_and_is_described_in_both_languages() -> None:
    for name, descriptions in PLACEHOLDERS.items():
        assert check(Message(subject=f"{{{{ {name} }}}}", body=f"{{{{ {name} }}}}")) == [], name
        assert descriptions["en"] and descriptions["fr"] and descriptions["en"] != descriptions["fr"]


def test_a_clean_message_has_no_problems() -> None:
    message = Message(
        subject="Invoice {{ invoice_numbers }}",
        body="{% for invoice in invoices if invoice.link %}{{ loop.index }} {{ invoice.number|upper }}\n{% endfor %}",
    )
    assert check(message) == []


def test_check_reports_a_syntax_error_with_its_line() -> None:
    (problem,) = check(Message(subject="ok", body="Dear {{ contact_name }},\n\n{% if on_hold %}\nheld"))
    assert problem.code == "syntax"
    assert problem.params["line"] == "4"
    assert problem.startswith("Body, line 4: ")
    assert problem.describe("fr").startswith("Corps, ligne 4 : ")


def test_check_names_unknown_placeholders_in_each_part() -> None:
    problems = check(Message(subject="{{ customer }}", body="{{ total_due }} {{ totl_overdue }}"))
    assert [(p.code, p.params["part"], p.params["name"]) for p in problems] == [
        ("unknown_placeholder", "subject", "customer"),
        ("unknown_placeholder", "body", "totl_overdue"),
    ]
    assert problems[0] == "Subject: unknown placeholder “customer”"
    assert problems[1].describe("fr") == "Corps : champ inconnu « totl_overdue »"


def test_check_reports_what_fails_when_rendered() -> None:
    (problem,) = check(Message(subject="s", body="{{ days_late / 0 }}"))
    assert problem.code == "render"
    assert "division" in problem


def test_check_reports_filters_messages_cannot_use() -> None:
    (problem,) = check(Message(subject="s", body="{{ customer_name|safe }}"))
    assert (problem.code, problem.params["name"]) == ("not_supported", "safe")


def test_every_problem_has_english_and_french_text() -> None:
    for code, texts in PROBLEMS.items():
        assert set(texts) == {"en", "fr"} and texts["en"] != texts["fr"], code
    assert isinstance(check(Message(subject="{{", body=""))[0], Problem)
