"""English and French, money and dates: each request's language, and the zone its dates are in.

Flask-Babel translates every string of the UI (``_()`` in Python, ``{{ _('…') }}`` and
``{% trans %}`` in templates). The catalogues live in ``web/translations/`` as ``.po`` files; the
build compiles them (``make install``; ``setup.py``'s build for a wheel), so no binary ``.mo`` is
committed. A missing catalogue shows English, never an error.

The language is the one a person chose (the switcher in every page's footer, kept in their
session), else the best of their browser's languages, else English. Formatting follows the
browser's region within that language (en_NZ writes 1/12/2026, en_US 12/1/2026). Dates and times
are shown in the organisation's zone on its pages, UTC elsewhere.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal
from flask import Blueprint, Flask, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale

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
    # The Locale itself: a string would be parsed again on every amount of a page.
    return format_currency(amount, currency, locale=get_locale() or ENGLISH)


def number(value: Decimal | int | float | None, decimals: int = 1) -> str:
    """A figure written the reader's way with ``decimals`` places (44.8, 1,204.0; 44,8, 1 204,0)."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=get_locale() or ENGLISH)


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
        }
