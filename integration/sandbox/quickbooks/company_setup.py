"""What every new QuickBooks company starts with: CompanyInfo, Preferences, the standard terms, a chart
of accounts and a "Services" item."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .chart_of_accounts import open_chart_of_accounts
from .products import open_products

if TYPE_CHECKING:
    from .company import Company


def open_books(company: Company) -> None:
    """The entities every new QuickBooks company has: CompanyInfo, Preferences, terms, accounts, items."""
    from .company import StoredEntity

    at = company.clock.now()
    info = {
        "CompanyName": company.name,
        "LegalName": company.name,
        "CompanyAddr": {
            "Line1": "2600 Marine Way",
            "City": "Mountain View",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94043",
            "Country": "USA",
        },
        "Country": "US",
        "Email": {"Address": "owner@example.com"},
        "FiscalYearStartMonth": "January",
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
    }
    prefs = {
        "SalesFormsPrefs": {
            "DefaultTerms": {"value": "3"},
            "AllowServiceDate": False,
            "AutoApplyCredit": True,
        },
        "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
        "AccountingInfoPrefs": {"TrackDepartments": False, "BookCloseDate": None},
        "EmailMessagesPrefs": {"InvoiceMessage": {"Subject": "Invoice from {company}"}},
        "OtherPrefs": {"NameValue": [{"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": ""}]},
    }
    # CompanyInfo's Id is the realm id at Intuit (read as GET /companyinfo/{realmId}).
    company._entities["CompanyInfo"][company.realm_id] = StoredEntity(
        "CompanyInfo", company.realm_id, info, 0, at, at
    )
    company._entities["Preferences"]["1"] = StoredEntity("Preferences", "1", prefs, 0, at, at)
    for name, days in (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)):
        company.create("Term", {"Name": name, "DueDays": days}, at=at, announce=False)
    open_chart_of_accounts(company, at)
    open_products(company, at)
