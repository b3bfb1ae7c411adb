"""The schedule an organisation starts with: the collections practice's stages, each message and
call script in English and French, every one rendering cleanly for a real-looking customer."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from reminders.schedules.defaults import DEFAULT_SCHEDULE
from reminders.schedules.stages import Anchor, Channel, Message, StageSpec
from reminders.schedules.templates import InvoiceLine, MessageContext, check, render, render_text

STAGES = {stage.key: stage for stage in DEFAULT_SCHEDULE.stages}
LANGUAGES = ("en", "fr")
WRITTEN = [stage for stage in DEFAULT_SCHEDULE.stages if set(stage.channels) - {Channel.CALL}]
SPOKEN = [
    stage for stage in DEFAULT_SCHEDULE.stages if Channel.CALL in stage.channels or stage.large_accounts_call
]


def customer(language: str, *, links: bool = True) -> MessageContext:
    """A customer of a New Zealand café supplier, with three open invoices, one not yet due."""
    return MessageContext(
        language=language,  # type: ignore[arg-type]
        as_of=date(2026, 9, 14),
        organisation_name="Harbour Roasters Ltd",
        sender_name="Priya Nair",
        customer_name="Kowhai Café & Bakery",
        contact_name="Mere Tane",
        invoices=(
            InvoiceLine(
                "INV-2041",
                date(2026, 6, 2),
                date(2026, 7, 2),
                "NZD",
                Decimal("4830.00"),
                Decimal("2830.00"),
                74,
                "https://in.xero.com/Invoices/View/2041" if links else None,
            ),
            InvoiceLine(
                "INV-2107",
                date(2026, 7, 15),
                date(2026, 8, 14),
                "NZD",
                Decimal("1265.40"),
                Decimal("1265.40"),
                31,
                "https://in.xero.com/Invoices/View/2107" if links else None,
            ),
            InvoiceLine(
                "INV-2188",
                date(2026, 9, 1),
                date(2026, 10, 1),
                "NZD",
                Decimal("389.99"),
                Decimal("389.99"),
                -17,
            ),
        ),
        deadline=date(2026, 9, 21),
        bank_details="ANZ 06-0123-0456789-00",
    )


# What each language writes for the figures of that customer.
FIGURES = {
    "en": {"overdue": "NZ$4,095.40", "due": "NZ$4,485.39", "deadline": "Sep 21, 2026", "days": "74"},
    "fr": {
        "overdue": "4\u202f095,40\xa0$NZ",
        "due": "4\u202f485,39\xa0$NZ",
        "deadline": "21 sept. 2026",
        "days": "74",
    },
}


def _stage_language(stages: list[StageSpec]) -> list[tuple[StageSpec, str]]:
    return [(stage, language) for stage in stages for language in LANGUAGES]


def _ids(value: object) -> str:
    return value.key if isinstance(value, StageSpec) else str(value)


@pytest.mark.parametrize(("stage", "language"), _stage_language(WRITTEN), ids=_ids)
def test_every_written_stage_checks_clean_and_renders_the_figures(stage: StageSpec, language: str) -> None:
    message = stage.messages[language]
    assert check(message) == []
    rendered = render(message, customer(language))
    figures = FIGURES[language]
    assert rendered.subject and "\n" not in rendered.subject
    for part in (rendered.text, rendered.html):
        for number in ("INV-2041", "INV-2107", "INV-2188"):
            assert number in part
        assert "{{" not in part and "{%" not in part
        assert figures["overdue"] in part if stage.anchor is Anchor.AFTER_DUE else figures["due"] in part
        assert "Priya Nair" in part and "Harbour Roasters Ltd" in part
        assert "06-0123-0456789-00" in part
        if stage.deadline_days:
            assert figures["deadline"] in part
        if stage.anchor is Anchor.AFTER_DUE:
            assert figures["days"] in part
        if stage.attach_invoices:
            assert "https://in.xero.com/Invoices/View/2107" in part
    assert "Café & Bakery" not in rendered.html  # escaped wherever a message names the customer
    assert "<table" in rendered.html


@pytest.mark.parametrize(("stage", "language"), _stage_language(WRITTEN), ids=_ids)
def test_without_links_or_bank_details_no_empty_heading_is_left(stage: StageSpec, language: str) -> None:
    bare = customer(language, links=False)
    bare = MessageContext(**{**bare.__dict__, "bank_details": None})
    text = render(stage.messages[language], bare).text
    for heading in ("online", "en ligne", "bank details", "coordonnées bancaires"):
        assert heading not in text
    assert "\n\n\n" not in text


@pytest.mark.parametrize(("stage", "language"), _stage_language(SPOKEN), ids=_ids)
def test_every_call_script_checks_clean_and_names_what_is_owed(stage: StageSpec, language: str) -> None:
    points = stage.talking_points[language]
    assert check(Message(subject="", body=points)) == []
    said = render_text(points, customer(language))
    assert "INV-2041" in said
    figures = FIGURES[language]
    assert figures["due"] in said if stage.anchor is Anchor.BEFORE_DUE else figures["overdue"] in said


ENGLISH_WORDS = {"the", "and", "invoice", "invoices", "payment", "please", "dear", "account", "your", "we"}
FRENCH_WORDS = {"vous", "nous", "facture", "factures", "règlement", "votre", "le", "la", "les", "de"}


def _words(text: str) -> set[str]:
    """The words of a text, leaving out web addresses (the ledger's are in English)."""
    return set(re.findall(r"[^\W\d_]+", re.sub(r"https?://\S+", "", text).lower()))


def _french_of(stage: StageSpec) -> list[str]:
    texts = [stage.names["fr"]]
    if "fr" in stage.talking_points:
        texts.append(render_text(stage.talking_points["fr"], customer("fr")))
    if "fr" in stage.messages:
        rendered = render(stage.messages["fr"], customer("fr"))
        texts += [rendered.subject, rendered.text]
    return texts


@pytest.mark.parametrize("stage", DEFAULT_SCHEDULE.stages, ids=_ids)
def test_the_french_is_french(stage: StageSpec) -> None:
    for text in _french_of(stage):
        words = _words(text) - _words("Harbour Roasters Ltd Priya Nair Kowhai Café Bakery Mere Tane")
        assert not words & ENGLISH_WORDS, (text, words & ENGLISH_WORDS)
    body = " ".join(_french_of(stage))
    assert len(_words(body) & FRENCH_WORDS) >= 3


@pytest.mark.parametrize("stage", WRITTEN, ids=_ids)
def test_the_english_is_english(stage: StageSpec) -> None:
    rendered = render(stage.messages["en"], customer("en"))
    assert not _words(rendered.text) & FRENCH_WORDS - {"de"}
    assert len(_words(rendered.text) & ENGLISH_WORDS) >= 3


def test_formal_french_once_the_account_is_past_due() -> None:
    for key in ("past_due", "final_demand"):
        text = render(STAGES[key].messages["fr"], customer("fr")).text
        assert text.startswith("Madame, Monsieur,")
        assert "salutations distinguées" in text
    assert "tu " not in " ".join(render(s.messages["fr"], customer("fr")).text for s in WRITTEN)


def test_every_stage_is_named_and_written_in_both_languages() -> None:
    assert set(DEFAULT_SCHEDULE.names) == set(LANGUAGES)
    for stage in DEFAULT_SCHEDULE.stages:
        assert set(stage.names) == set(LANGUAGES) and stage.names["en"] != stage.names["fr"]
    for stage in WRITTEN:
        assert set(stage.messages) == set(LANGUAGES), stage.key
    for stage in SPOKEN:
        assert set(stage.talking_points) == set(LANGUAGES), stage.key
    assert len(STAGES) == len(DEFAULT_SCHEDULE.stages)  # keys are unique


def test_the_friendly_note_goes_seven_days_before_due_and_large_accounts_get_a_call() -> None:
    friendly = STAGES["friendly"]
    assert (friendly.anchor, friendly.days, friendly.until_days) == (Anchor.BEFORE_DUE, 7, 0)
    assert friendly.channels == (Channel.EMAIL,) and friendly.large_accounts_call
    assert friendly.attach_invoices and not friendly.needs_approval


@pytest.mark.parametrize(
    ("days_late", "due"),
    [
        (1, {"inquiry"}),
        (15, {"inquiry"}),
        (16, {"statement"}),
        (28, {"statement", "call_day_28"}),
        (30, {"statement", "call_day_28"}),
        (31, {"past_due", "past_due_call"}),
        (90, {"past_due", "past_due_call"}),
        (119, {"past_due", "past_due_call"}),
        (120, {"final_demand"}),
        (200, {"final_demand"}),
    ],
)
def test_the_escalation_follows_the_days_past_due_with_no_day_uncovered(
    days_late: int, due: set[str]
) -> None:
    from datetime import timedelta

    from reminders.schedules.models import schedule_from
    from reminders.schedules.planner import Account, OpenInvoice, plan_account

    schedule = schedule_from(DEFAULT_SCHEDULE, 1, "en", is_default=True)
    today = date(2026, 6, 30)
    account = Account(
        1, "small", None, [OpenInvoice("i1", today - timedelta(days=days_late), Decimal(500), Decimal(500))]
    )
    assert {planned.stage.key for planned in plan_account(schedule, account, today)} == due
    assert STAGES["inquiry"].attach_invoices and STAGES["statement"].attach_statement
    assert STAGES["past_due"].attach_statement and STAGES["past_due_call"].channels == (Channel.CALL,)


@pytest.mark.parametrize("key", ["statement", "past_due", "past_due_call"])
def test_repeats_cover_the_window_and_stay_inside_it(key: str) -> None:
    stage = STAGES[key]
    assert stage.repeat_every and stage.until_days
    last = stage.days + stage.repeat_every * stage.repeat_times
    assert last < stage.until_days <= last + stage.repeat_every  # the window's end is exclusive


def test_the_final_demand_is_approved_by_a_person_and_gives_a_deadline() -> None:
    final = STAGES["final_demand"]
    assert (final.anchor, final.days, final.until_days) == (Anchor.AFTER_DUE, 120, None)
    assert final.channels == (Channel.EMAIL, Channel.LETTER)
    assert final.needs_approval and final.deadline_days == 7
    assert all("{{ deadline }}" in final.messages[language].subject for language in LANGUAGES)
    assert final.names["fr"] == "Dernier rappel avant mise en demeure"
