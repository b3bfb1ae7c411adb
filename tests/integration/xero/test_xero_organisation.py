"""What Xero says of the organisation itself reaches Relance as OrganisationFacts, over HTTP."""

from __future__ import annotations

import pytest
import yaml

from integration.zones import zone_from_windows_name
from tests.integration.sandbox.xero_contract import REFERENCE, contract_available


def test_facts_come_from_get_organisation(ledger, xero_sandbox):
    organisation = xero_sandbox.books.organisation
    organisation.name, organisation.legal_name = "Kiwi Kitchens", "Kiwi Kitchens Limited"
    organisation.base_currency, organisation.country_code = "NZD", "NZ"

    facts = ledger.organisation_facts()

    assert (facts.name, facts.legal_name) == ("Kiwi Kitchens", "Kiwi Kitchens Limited")
    assert (facts.base_currency, facts.country, facts.timezone) == ("NZD", "NZ", "Pacific/Auckland")
    assert xero_sandbox.request_log.count(endpoint="/Organisation", method="GET") == 1


@pytest.mark.parametrize(
    ("xero_name", "zone"),
    [
        ("GMTSTANDARDTIME", "Europe/London"),
        ("ROMANCESTANDARDTIME", "Europe/Paris"),
        ("AUSEASTERNSTANDARDTIME", "Australia/Sydney"),
        ("PACIFICSTANDARDTIME", "America/Los_Angeles"),
        ("CENTRALSTANDARDTIME(MEXICO)", "America/Mexico_City"),
        ("UTC08", "Etc/GMT+8"),  # Windows' "UTC-08", with Xero's minus dropped
        ("UTC+12", "Etc/GMT-12"),
        ("KAMCHATKASTANDARDTIME", "Asia/Kamchatka"),
    ],
)
def test_xero_zone_names_map_to_iana_zones(ledger, xero_sandbox, xero_name, zone):
    xero_sandbox.books.organisation.timezone = xero_name

    assert ledger.organisation_facts().timezone == zone


def test_every_zone_in_xeros_enum_has_an_iana_zone():
    if not contract_available():
        pytest.skip("Xero's OpenAPI files (../shared/reference) are not beside this clone")
    spec = yaml.safe_load((REFERENCE / "xero_accounting.yaml").read_text())
    names = spec["components"]["schemas"]["TimeZone"]["enum"]

    assert len(names) > 100
    assert [name for name in names if zone_from_windows_name(name) is None] == []
