"""English and French, money and dates: each request's language, and the zone its dates are in.

Flask-Babel translates every string of the UI (``_()`` in Python, ``{{ _('…') }}`` and
``{% trans %}`` in templates). The catalogues live in ``web/translations/`` as ``.po`` files; the
build compiles them (``make install``; ``setup.py``'s build for a wheel), so no binary ``.mo`` is
committed. A missing catalogue shows English, never an error.

The language is the one a person chose (the switcher in every page's footer, kept in their
session), else the best of their browser's languages, else English. Formatting follows the
browser's region within that language (en_NZ writes 1/12/2026, en_US 12/1/2026). Dates and times
are shown in the organisation's zone on its pages, UTC elsewhere.

Money is written by Babel's own currency pattern of the locale, read once per currency and locale
(``money_format``): ``format_currency`` looks the pattern, symbols and currency digits up again
for every amount, which was 1.1 s of the aged receivables' 1.3 s for 14,000 amounts. The output is
the same, character for character (tests/web/test_money_format.py compares them); a pattern
this shortcut does not cover (scientific, significant digits, currency names) goes to Babel.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from flask import Blueprint, Flask, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import Babel, format_date, format_time, get_locale

# The languages the UI is translated into; the first is the default.
LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
# The regions whose conventions (dates, numbers) we follow when a browser asks for them.
REGIONS = (
    "en_GB", "en_NZ", "en_AU", "en_US", "en_CA", "en_IE", "en_ZA",
    "fr_FR", "fr_CA", "fr_BE", "fr_CH", "fr_LU",
)  # fmt: skip
DEFAULT_REGION = {"en": "en_GB", "fr": "fr_FR"}
SESSION_KEY = "language"
ENGLISH = Locale.parse(DEFAULT_REGION["en"])

babel = Babel()
# Literal text in a number pattern, as Babel's NumberPattern.apply removes its quotes.
QUOTED = re.compile(r"'([^']*)'")
language = Blueprint("language", __name__)


def select_locale() -> str:
    chosen = session.get(SESSION_KEY)
    browser = request.accept_languages.best_match(REGIONS + LANGUAGES)
    if chosen in LANGUAGES:
        if browser and browser.startswith(chosen + "_"):
            return browser
        return DEFAULT_REGION[chosen]
    if browser in LANGUAGES:
        return DEFAULT_REGION[browser]
    return browser or DEFAULT_REGION[LANGUAGES[0]]


def select_timezone() -> str | None:
    """The zone of the organisation this request is about (set by its pages), else UTC."""
    zone: str | None = g.get("organisation_timezone")
    return zone


def current_language() -> str:
    """'en' or 'fr': the language the page is in."""
    locale: Locale | None = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else LANGUAGES[0]


def money(amount: Decimal | int | None, currency: str) -> str:
    """An amount in its currency, written the reader's way (NZ$1,234.50; 1 234,50 $NZ)."""
    if amount is None:
        return ""
    return money_format(currency, str(get_locale() or ENGLISH))(amount)


@dataclass(frozen=True)
class MoneyFormat:
    """A locale's standard currency pattern for one currency, its symbols looked up once.

    ``__call__`` does what Babel's ``NumberPattern.apply`` does for such a pattern (the sign
    chooses the prefix and suffix, the absolute value is rounded to the currency's digits in the
    current decimal context, then grouped), without the look-ups.
    """

    currency: str
    locale: str
    prefixes: tuple[str, str]  # (positive, negative), the currency symbol in place
    suffixes: tuple[str, str]
    group: str
    decimal_symbol: str
    grouping: tuple[int, int]
    minimum_integer: int
    quantum: Decimal
    unquote: bool

    def __call__(self, amount: Decimal | int | float | str) -> str:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        if not value.is_finite():
            return format_currency(value, self.currency, locale=self.locale)
        value = value.scaleb(0)  # as Babel does (scale 0): rounds to the context's precision
        negative = int(value.is_signed())
        rounded = abs(value).normalize().quantize(self.quantum)
        whole, _, fraction = f"{rounded:f}".partition(".")
        if len(whole) < self.minimum_integer:
            whole = "0" * (self.minimum_integer - len(whole)) + whole
        size, grouped = self.grouping[0], ""
        while len(whole) > size:
            grouped = self.group + whole[-size:] + grouped
            whole = whole[:-size]
            size = self.grouping[1]
        number = whole + grouped + (self.decimal_symbol + fraction if fraction else "")
        text = self.prefixes[negative] + number + self.suffixes[negative]
        return QUOTED.sub(lambda found: found.group(1) or "'", text) if self.unquote else text


@lru_cache(maxsize=512)
def money_format(currency: str, locale: str) -> Callable[[Decimal | int | float | str], str]:
    """What writes amounts of ``currency`` in ``locale`` (e.g. 'fr_FR'): a ``MoneyFormat``, or
    Babel's ``format_currency`` itself for a pattern the shortcut does not cover. Cached per
    process: both come from Babel's locale data, which does not change while it runs."""
    parsed = Locale.parse(locale)
    pattern = parsed.currency_formats["standard"]

    def babel(amount: Decimal | int | float | str) -> str:
        return format_currency(amount, currency, locale=parsed)

    symbol = get_currency_symbol(currency, parsed)
    affixes = (*pattern.prefix, *pattern.suffix)
    group, decimal_symbol = get_group_symbol(parsed), get_decimal_symbol(parsed)
    if (
        pattern.scale
        or pattern.exp_prec
        or "@" in pattern.pattern
        or not pattern.number_pattern
        or any("¤¤" in affix for affix in affixes)
    ):
        return babel
    digits = get_currency_precision(currency)
    prefix, negative_prefix, suffix, negative_suffix = (affix.replace("¤", symbol) for affix in affixes)
    return MoneyFormat(
        currency=currency,
        locale=locale,
        prefixes=(prefix, negative_prefix),
        suffixes=(suffix, negative_suffix),
        group=group,
        decimal_symbol=decimal_symbol,
        grouping=(pattern.grouping[0], pattern.grouping[1]),
        minimum_integer=pattern.int_prec[0],
        quantum=decimal.Decimal(1).scaleb(-digits),
        # Babel takes the quotes of a pattern's literal text out of the whole text it wrote, the
        # number too: with fr_CH's group "'", 1'234'567,50 CHF comes out 1234567,50 CHF. The same here.
        unquote=any(
            "'" in text for text in (prefix, negative_prefix, suffix, negative_suffix, group, decimal_symbol)
        ),
    )


def number(value: Decimal | int | float | None, decimals: int = 1) -> str:
    """A figure written the reader's way with ``decimals`` places (44.8, 1,204.0; 44,8, 1 204,0)."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=get_locale() or ENGLISH)


def iso_day(value: date | str | None) -> str:
    """A day written the reader's way ("2 Dec 2026"), from a date or the ISO string an audit
    event's details keep; a string that is not a date is shown as it is."""
    if not isinstance(value, str):
        return format_date(value) if value is not None else ""
    try:
        return str(format_date(date.fromisoformat(value)))
    except ValueError:
        return value


def moment(value: datetime | None) -> str:
    """A moment as the timeline writes it ("2 Dec 2026 17:58"), in the page's zone."""
    return f"{format_date(value)} {format_time(value, 'short')}" if value is not None else ""


@language.post("/language")
def choose() -> ResponseReturnValue:
    """The footer's switcher: keep the chosen language in the person's session, back to the page."""
    chosen = request.form.get("language", "")
    if chosen in LANGUAGES:
        session[SESSION_KEY] = chosen
    back = request.form.get("next", "")
    # Only a path of this site: never an open redirect.
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for("dashboard.home")
    return redirect(back, 303)


def install(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.register_blueprint(language)

    @app.context_processor
    def languages() -> dict[str, Any]:
        return {
            "current_language": current_language,
            "language_names": LANGUAGE_NAMES,
            "money": money,
            "number": number,
            "iso_day": iso_day,
            "moment": moment,
        }
