"""What QuickBooks says of the company reaches Relance as OrganisationFacts, over HTTP; QuickBooks
names no time zone, so one is derived from the address only where that is unambiguous."""

from __future__ import annotations

import pytest


def _set_company(company, country: str, state: str, home_currency: str) -> None:
    """As the owner would in QuickBooks' company settings (sparse updates of the two singletons)."""
    info = company.get("CompanyInfo", company.realm_id)
    address = {**info.body["CompanyAddr"], "CountrySubDivisionCode": state, "Country": country}
    company.update(
        "CompanyInfo",
        {
            "Id": info.id,
            "SyncToken": str(info.sync_token),
            "sparse": True,
            "Country": country,
            "CompanyAddr": address,
        },
    )
    preferences = company.get("Preferences", "1")
    currency = {**preferences.body["CurrencyPrefs"], "HomeCurrency": {"value": home_currency}}
    company.update(
        "Preferences",
        {"Id": "1", "SyncToken": str(preferences.sync_token), "sparse": True, "CurrencyPrefs": currency},
    )


def test_facts_come_from_company_info_and_preferences(ledger, company, qbo_sandbox):
    facts = ledger.organisation_facts()

    assert facts.name == company.name
    assert (facts.base_currency, facts.country, facts.timezone) == ("USD", "US", "America/Los_Angeles")


@pytest.mark.parametrize(
    ("country", "state", "currency", "zone"),
    [
        ("US", "NY", "USD", "America/New_York"),
        ("US", "TX", "USD", None),  # El Paso keeps Mountain time: the owner is asked
        ("GB", "", "GBP", "Europe/London"),
        ("UK", "", "GBP", "Europe/London"),
        ("FR", "", "EUR", "Europe/Paris"),
        ("AU", "QLD", "AUD", "Australia/Brisbane"),
        ("AU", "NSW", "AUD", None),  # Broken Hill keeps South Australia's time
        ("CA", "ON", "CAD", None),
    ],
)
def test_zone_is_derived_only_when_the_address_settles_it(ledger, company, country, state, currency, zone):
    _set_company(company, country, state, currency)

    facts = ledger.organisation_facts()

    assert (facts.base_currency, facts.timezone) == (currency, zone)
    assert facts.country == ("GB" if country == "UK" else country)
