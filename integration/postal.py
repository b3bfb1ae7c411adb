"""A postal address as the lines a letter prints, from the parts a ledger keeps.

Both ledgers keep an address as street lines, a city, a region, a postcode and a country; how
those become the line above the country depends on the country's own postal usage:

- the United States, Canada and Australia write city, region and postcode on one line
  ("San Jose, CA 95112", "Toronto ON M5V 3L9", "Sydney NSW 2000");
- New Zealand writes the town and postcode, no region ("Auckland 1010");
- the United Kingdom writes the post town, then the postcode on a line of its own;
- most of continental Europe writes the postcode before the city ("75008 Paris", "10115 Berlin";
  DIN 5008's examples), Italy and Spain add the province after the city.

Elsewhere: city, region and postcode in that order. The country's line is the ledger's own text;
whether a letter prints it (not for a domestic letter) is the letter's choice.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from babel import Locale

from integration.zones import country_code

# fmt: off
POSTCODE_FIRST = frozenset({
    "AT", "BE", "CH", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IS",
    "IT", "LI", "LT", "LU", "LV", "MC", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
})
# fmt: on
REGION_AFTER_CITY = frozenset({"IT", "ES"})  # "00144 Roma RM"
ONE_LINE_WITH_REGION = frozenset({"US", "CA", "AU"})


@cache
def _country_names() -> dict[str, str]:
    """Country names in English and French, folded, to their ISO code ("new zealand" -> "NZ")."""
    names: dict[str, str] = {}
    for language in ("en", "fr"):
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names[name.casefold()] = code
    names.update({"united states of america": "US", "great britain": "GB", "england": "GB"})
    return names


def country_of(text: str | None) -> str:
    """ISO 3166-1 alpha-2 for a country as a ledger writes it ("USA", "New Zealand", "NZ"), or ""."""
    return country_code(text) or _country_names().get((text or "").strip().casefold(), "")


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def locality_lines(city: str, region: str, postcode: str, country: str) -> list[str]:
    """The line (two in the United Kingdom) of city, region and postcode, as ``country`` writes it."""
    code = country_of(country)
    if code == "US":
        return [_joined(f"{city}," if city and (region or postcode) else city, region, postcode)]
    if code in ONE_LINE_WITH_REGION:
        return [_joined(city, region, postcode)]
    if code == "NZ":
        return [_joined(city, postcode)]
    if code == "GB":
        return [line for line in (city, postcode) if line]
    if code in POSTCODE_FIRST:
        return [_joined(postcode, city, region if code in REGION_AFTER_CITY else "")]
    return [_joined(city, region, postcode)]


def postal_lines(
    street: Iterable[str | None],
    city: str | None = None,
    region: str | None = None,
    postcode: str | None = None,
    country: str | None = None,
) -> tuple[str, ...]:
    """The address as printed lines: street lines, locality, country; () when all are empty."""
    parts = [(part or "").strip() for part in (city, region, postcode, country)]
    lines = [line.strip() for line in street if line and line.strip()]
    lines += [line for line in locality_lines(*parts) if line]
    if parts[3]:
        lines.append(parts[3])
    return tuple(lines)
