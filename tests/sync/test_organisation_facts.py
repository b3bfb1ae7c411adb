"""The organisation's base currency, zone, country and names come from its ledger at the first
sync and are read again once a day; a zone the owner chose stays theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from runtime import clock
from runtime.tenancy import AuditEvent, Organisation
from sync.jobs import sync_tenant
from tests.integration.ledgers import demo_quickbooks, demo_xero, quickbooks_consent, xero_consent


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    with demo_xero(monkeypatch) as sandbox:
        yield sandbox


@pytest.fixture
def quickbooks(monkeypatch):  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        yield sandbox


def test_a_xero_organisation_takes_currency_zone_and_country_from_xero(xero, session, redis_client) -> None:
    xero.books.organisation.legal_name = "Harbour Traders Limited"
    connection = xero_consent(session, xero)[0]
    organisation = connection.organisation
    assert (organisation.base_currency, organisation.timezone) == ("GBP", "UTC")  # nothing read yet

    sync_tenant(connection.id)

    session.refresh(organisation)
    assert (organisation.base_currency, organisation.timezone, organisation.country) == (
        "NZD",
        "Pacific/Auckland",
        "NZ",
    )
    assert organisation.legal_name == "Harbour Traders Limited"
    assert organisation.timezone_set_by == "ledger"
    assert xero.request_log.count(endpoint="/Organisation", method="GET") == 1
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.facts_updated"))
    assert event is not None and event.details["base_currency"] == "NZD"


def test_a_quickbooks_company_takes_currency_zone_and_country_from_quickbooks(
    quickbooks, session, redis_client
) -> None:
    connection = quickbooks_consent(session, quickbooks)

    sync_tenant(connection.id)

    organisation = session.get(Organisation, connection.organisation_id)
    session.refresh(organisation)
    # The demo company's address is in California (CompanyInfo.CompanyAddr).
    assert (organisation.base_currency, organisation.timezone, organisation.country) == (
        "USD",
        "America/Los_Angeles",
        "US",
    )


def test_facts_are_read_again_after_a_day_and_follow_the_ledger(xero, session, redis_client) -> None:
    connection = xero_consent(session, xero)[0]
    sync_tenant(connection.id)
    xero.books.organisation.timezone = "AUSEASTERNSTANDARDTIME"
    xero.books.organisation.base_currency = "AUD"

    sync_tenant(connection.id)  # the same day: not asked again
    assert xero.request_log.count(endpoint="/Organisation", method="GET") == 1
    clock.advance(timedelta(hours=25))
    sync_tenant(connection.id)

    organisation = session.get(Organisation, connection.organisation_id)
    session.refresh(organisation)
    assert (organisation.base_currency, organisation.timezone) == ("AUD", "Australia/Sydney")
    assert xero.request_log.count(endpoint="/Organisation", method="GET") == 2


def test_a_zone_the_owner_chose_is_kept_when_the_ledger_is_read_again(xero, session, redis_client) -> None:
    connection = xero_consent(session, xero)[0]
    organisation = connection.organisation
    organisation.timezone, organisation.timezone_set_by = "Pacific/Chatham", "owner"
    session.commit()

    sync_tenant(connection.id)

    session.refresh(organisation)
    assert (organisation.timezone, organisation.timezone_set_by) == ("Pacific/Chatham", "owner")
    assert organisation.base_currency == "NZD"


def test_an_address_that_does_not_settle_the_zone_leaves_it_for_the_owner(
    quickbooks, session, redis_client
) -> None:
    company = quickbooks.company(quickbooks.realm_ids[0])
    info = company.get("CompanyInfo", company.realm_id)
    company.update(
        "CompanyInfo",
        {
            "Id": info.id,
            "SyncToken": str(info.sync_token),
            "sparse": True,
            "CompanyAddr": {**info.body["CompanyAddr"], "CountrySubDivisionCode": "TX"},
        },
    )
    connection = quickbooks_consent(session, quickbooks)

    sync_tenant(connection.id)

    organisation = session.get(Organisation, connection.organisation_id)
    session.refresh(organisation)
    assert (organisation.timezone, organisation.timezone_set_by) == ("UTC", "default")
    assert organisation.country == "US"
