"""Money written from the locale's pattern read once is Babel's ``format_currency``, to the byte."""

from __future__ import annotations

import random
from decimal import Decimal, localcontext

import pytest
from babel.numbers import format_currency

from tests.web.test_receivables import people, sign_in  # noqa: F401 (people: a fixture)
from web.i18n import REGIONS, MoneyFormat, money_format

EDGES = [
    Decimal("0"),
    Decimal("-0"),
    Decimal("-0.00"),
    Decimal("0.004"),
    Decimal("-0.004"),
    Decimal("0.005"),  # half to even, as the decimal context rounds
    Decimal("0.015"),
    Decimal("-0.025"),
    Decimal("999.995"),
    Decimal("-999999.995"),
    Decimal("1E+3"),
    Decimal("-1.5E+9"),
    Decimal("12.3456"),
    Decimal("123456789012345678.90"),
    7,
    -7,
    0,
    "1234.5",
    12.25,
]
# Thousands of amounts, negative and positive, with up to six places.
rng = random.Random(14)
AMOUNTS = EDGES + [Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, 6)) for _ in range(600)]
# Two places, none (JPY), three (KWD), a currency a region writes with a symbol of its own.
CURRENCIES = ("NZD", "USD", "EUR", "GBP", "CHF", "CAD", "JPY", "KWD", "XOF")
# Every region the app serves, and some whose patterns group differently (en_IN: 12,34,567.00).
LOCALES = (*REGIONS, "en", "fr", "en_IN", "de_CH", "nl_NL")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_amount_is_written_as_babel_writes_it(locale: str) -> None:
    for currency in CURRENCIES:
        write = money_format(currency, locale)
        assert isinstance(write, MoneyFormat)  # the shortcut, not Babel behind it
        for amount in AMOUNTS:
            assert write(amount) == format_currency(amount, currency, locale=locale), (currency, amount)


def test_what_the_shortcut_does_not_cover_is_left_to_babel() -> None:
    write = money_format("NZD", "fr_FR")
    for amount in (Decimal("Infinity"), Decimal("-Infinity")):
        assert write(amount) == format_currency(amount, "NZD", locale="fr_FR")


def test_rounding_follows_the_decimal_context_as_babel_does() -> None:
    write = money_format("NZD", "en_NZ")
    with localcontext() as context:
        context.rounding = "ROUND_HALF_UP"
        assert write(Decimal("0.005")) == format_currency(Decimal("0.005"), "NZD", locale="en_NZ") == "$0.01"
    assert write(Decimal("0.005")) == "$0.00"


def test_the_aged_receivables_page_writes_amounts_the_readers_way(client, people) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    organisation_id, user_id = people["Harbour Cafe Ltd"]
    sign_in(client, user_id)
    base = f"/organisations/{organisation_id}/aged-receivables?as_of=2026-06-30&detail=1"

    english = client.get(base, headers={"Accept-Language": "en-NZ"})
    french = client.get(base, headers={"Accept-Language": "fr-FR"})

    assert "$250.00" in english.text
    assert format_currency(Decimal("250"), "NZD", locale="fr_FR") in french.text
