"""Render contacts, contact groups and the organisation as Xero JSON (OAS-ACC examples)."""

from __future__ import annotations

from typing import Any

from .books import OrganisationBooks
from .models import Contact, ContactGroup
from .wire import ms_datetime, ms_envelope_datetime


def _address_json(kind: str, parts: tuple[str, str, str] | None) -> dict[str, Any]:
    """One of the two Addresses every Contact carries; an unused one has empty fields (OAS-ACC)."""
    if not parts:
        return {"AddressType": kind, "City": "", "Region": "", "PostalCode": "", "Country": ""}
    line1, city, postcode = parts
    return {
        "AddressType": kind,
        "AddressLine1": line1,
        "City": city,
        "Region": "",
        "PostalCode": postcode,
        "Country": "New Zealand",
    }


def contact_json(contact: Contact, books: OrganisationBooks, balances: dict | None = None) -> dict[str, Any]:
    """A full Contact; Balances only when the caller computed them (single-contact GET)."""
    addresses = [_address_json("POBOX", contact.postal), _address_json("STREET", contact.street)]
    groups = [
        {"ContactGroupID": g.contact_group_id, "Name": g.name, "Status": g.status, "Contacts": []}
        for g in books.groups.values()
        if contact.contact_id in g.contact_ids and g.status == "ACTIVE"
    ]
    body: dict[str, Any] = {
        "ContactID": contact.contact_id,
        "ContactStatus": contact.status,
        "Name": contact.name,
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "EmailAddress": contact.email,
        "BankAccountDetails": "",
        "Addresses": addresses,
        "Phones": [
            {"PhoneType": p.phone_type, "PhoneNumber": p.number, "PhoneAreaCode": "", "PhoneCountryCode": ""}
            for p in contact.phones
        ],
        "UpdatedDateUTC": ms_datetime(contact.updated_at),
        "ContactGroups": groups,
        "IsSupplier": contact.is_supplier,
        "IsCustomer": contact.is_customer,
        "ContactPersons": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    if contact.contact_number:
        body["ContactNumber"] = contact.contact_number
    if contact.account_number:
        body["AccountNumber"] = contact.account_number
    if contact.default_currency:
        body["DefaultCurrency"] = contact.default_currency
    if balances is not None:
        body["Balances"] = balances
    return body


def group_json(group: ContactGroup, books: OrganisationBooks, with_contacts: bool) -> dict[str, Any]:
    """A ContactGroup; its contacts are listed only when one group is asked for."""
    contacts = []
    if with_contacts:
        contacts = [
            {"ContactID": c, "Name": books.contacts[c].name} for c in group.contact_ids if c in books.contacts
        ]
    return {
        "ContactGroupID": group.contact_group_id,
        "Name": group.name,
        "Status": group.status,
        "Contacts": contacts,
    }


def organisation_json(books: OrganisationBooks) -> dict[str, Any]:
    """The Organisation (OAS-ACC GET /Organisation example)."""
    org = books.organisation
    created = org.created_at or books.now()
    return {
        "OrganisationID": org.organisation_id,
        "APIKey": "",
        "Name": org.name,
        "LegalName": org.legal_name or org.name,
        "PaysTax": True,
        "Version": org.country_code if org.country_code in ("AU", "NZ", "UK", "US") else "GLOBAL",
        "OrganisationType": "COMPANY",
        "BaseCurrency": org.base_currency,
        "CountryCode": org.country_code,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "INVOICE",
        "SalesTaxPeriod": "TWOMONTHS",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_envelope_datetime(created),
        "OrganisationEntityType": "COMPANY",
        "Timezone": org.timezone,
        "ShortCode": org.short_code,
        "Edition": "BUSINESS",
        "Class": "PREMIUM",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
