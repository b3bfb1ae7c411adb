"""Which IANA time zone an organisation is in, from what each ledger says of it.

Xero names an organisation's zone by its Windows time zone id written in capitals without spaces or
punctuation (``NEWZEALANDSTANDARDTIME`` for "New Zealand Standard Time": the ``TimeZone`` enum of
Xero's OpenAPI file, xero_accounting.yaml). The Windows-to-IANA table is CLDR's windowsZones.xml
(https://github.com/unicode-org/cldr/blob/main/common/supplemental/windowsZones.xml), which Babel
ships as ``windows_zone_mapping``; two of Xero's names are obsolete Windows zones CLDR no longer
maps, and are mapped here by their offsets.

QuickBooks Online states no time zone for a company: CompanyInfo has its country and addresses
only (Intuit's CompanyInfo entity: CompanyName, LegalName, CompanyAddr, LegalAddr, Country, …). A
zone is derived from the country when the country has one zone (CLDR's territory zones, in Babel),
or from a state or province wholly inside one zone; anywhere else the answer is None, and the owner
is asked rather than guessed for.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global

# Obsolete Windows zones still in Xero's enum that CLDR's table dropped.
_OBSOLETE_WINDOWS_ZONES = {
    "KAMCHATKASTANDARDTIME": "Asia/Kamchatka",  # "(UTC+12:00) Petropavlovsk-Kamchatsky - Old"
    "MIDATLANTICSTANDARDTIME": "Etc/GMT+2",  # "(UTC-02:00) Mid-Atlantic - Old", no daylight saving
}

# States and territories that lie wholly in one zone (IANA's zone1970.tab comments say which parts
# of a country each zone covers); a state split between zones (Texas, Florida, Indiana, Kentucky,
# Tennessee, Michigan, Oregon, Idaho, Nevada, the Dakotas, Nebraska, Kansas, Alaska, Arizona with
# the Navajo Nation, New South Wales with Broken Hill) is left out on purpose.
_SUBDIVISION_ZONES = {
    "US": {
        **dict.fromkeys(
            [
                "CT",
                "DE",
                "DC",
                "GA",
                "ME",
                "MD",
                "MA",
                "NH",
                "NJ",
                "NY",
                "NC",
                "OH",
                "PA",
                "RI",
                "SC",
                "VT",
                "VA",
                "WV",
            ],
            "America/New_York",
        ),
        **dict.fromkeys(["AL", "AR", "IL", "IA", "LA", "MN", "MS", "MO", "OK", "WI"], "America/Chicago"),
        **dict.fromkeys(["CO", "MT", "NM", "UT", "WY"], "America/Denver"),
        **dict.fromkeys(["CA", "WA"], "America/Los_Angeles"),
        "HI": "Pacific/Honolulu",
    },
    "AU": {
        "VIC": "Australia/Melbourne",
        "QLD": "Australia/Brisbane",
        "SA": "Australia/Adelaide",
        "TAS": "Australia/Hobart",
        "ACT": "Australia/Sydney",
        "NT": "Australia/Darwin",
    },
}
# Some ledgers write the United Kingdom as UK, or a country by its three-letter code.
_COUNTRY_ALIASES = {"UK": "GB", "USA": "US", "GBR": "GB", "AUS": "AU", "NZL": "NZ", "CAN": "CA", "FRA": "FR"}


def _squeezed(name: str) -> str:
    return re.sub(r"[^A-Z0-9()+]", "", name.upper())


@cache
def _windows_zones() -> dict[str, str]:
    table = {_squeezed(name): zone for name, zone in get_global("windows_zone_mapping").items()}
    return table | _OBSOLETE_WINDOWS_ZONES


def zone_from_windows_name(name: str | None) -> str | None:
    """The IANA zone for a Windows zone id, written Xero's way or Windows' own; None if unknown."""
    if not name:
        return None
    return _windows_zones().get(_squeezed(name))


def country_code(value: str | None) -> str:
    """ISO 3166-1 alpha-2 for what a ledger writes as a country ("" when it says nothing usable)."""
    code = (value or "").strip().upper()
    code = _COUNTRY_ALIASES.get(code, code)
    return code if re.fullmatch(r"[A-Z]{2}", code) else ""


def zone_for_place(country: str | None, subdivision: str | None = None) -> str | None:
    """The zone of a country with one zone, or of a state wholly in one; None when ambiguous."""
    code = country_code(country)
    if not code:
        return None
    by_state = _SUBDIVISION_ZONES.get(code, {})
    state = (subdivision or "").strip().upper()
    if state in by_state:
        return by_state[state]
    zones = get_global("territory_zones").get(code, [])
    return zones[0] if len(zones) == 1 else None


def is_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine knows."""
    if not name or name != name.strip() or "\x00" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
