"""Contacts and contact groups through xero-python."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from xero_python.accounting import Contact, ContactGroup, ContactGroups, Contacts
from xero_python.exceptions import AccountingBadRequestException


def test_contacts_are_created_listed_and_paged(xero_sandbox, xero_accounting):
    created = xero_accounting.create_contacts(
        xero_sandbox.tenant_id,
        Contacts(
            contacts=[
                Contact(name=f"Customer {n:03d}", email_address=f"c{n}@example.com") for n in range(150)
            ]
        ),
    ).contacts
    assert len(created) == 150

    first = xero_accounting.get_contacts(xero_sandbox.tenant_id, page=1)
    second = xero_accounting.get_contacts(xero_sandbox.tenant_id, page=2)
    by_id = xero_accounting.get_contacts(xero_sandbox.tenant_id, i_ds=[created[3].contact_id])
    found = xero_accounting.get_contacts(xero_sandbox.tenant_id, where='Name.StartsWith("Customer 14")')

    assert (len(first.contacts), len(second.contacts)) == (100, 50)
    assert first.pagination.item_count == 150
    assert [c.name for c in by_id.contacts] == ["Customer 003"]
    assert len(found.contacts) == 10


def test_contact_names_are_unique(xero_sandbox, xero_accounting):
    xero_accounting.create_contacts(
        xero_sandbox.tenant_id, Contacts(contacts=[Contact(name="Totara Builders")])
    )
    with pytest.raises(AccountingBadRequestException) as raised:
        xero_accounting.create_contacts(
            xero_sandbox.tenant_id, Contacts(contacts=[Contact(name="Totara Builders")])
        )
    assert "must be unique" in raised.value.reason


def test_updated_contacts_come_back_with_if_modified_since(xero_sandbox, xero_accounting):
    first, second = xero_accounting.create_contacts(
        xero_sandbox.tenant_id,
        Contacts(contacts=[Contact(name="Alpine Motors"), Contact(name="Fern Florist")]),
    ).contacts
    xero_sandbox.clock.advance(timedelta(minutes=2))
    bookmark = xero_sandbox.clock.now()
    xero_sandbox.clock.advance(timedelta(seconds=1))
    xero_accounting.update_contact(
        xero_sandbox.tenant_id,
        second.contact_id,
        Contacts(contacts=[Contact(email_address="accounts@fern.example.com")]),
    )

    changed = xero_accounting.get_contacts(xero_sandbox.tenant_id, if_modified_since=bookmark).contacts

    assert [c.name for c in changed] == ["Fern Florist"]
    assert changed[0].email_address == "accounts@fern.example.com"
    assert first.contact_id not in {c.contact_id for c in changed}


def test_single_contact_carries_balances(xero_sandbox, xero_accounting):
    contact = xero_sandbox.create_contact("Redwood Dental")
    xero_sandbox.create_invoice(contact.contact_id, Decimal("100"), due_in_days=-5)
    xero_sandbox.create_invoice(contact.contact_id, Decimal("200"), due_in_days=10)

    fetched = xero_accounting.get_contact(xero_sandbox.tenant_id, contact.contact_id).contacts[0]

    assert fetched.balances.accounts_receivable.outstanding == Decimal("345.00")
    assert fetched.balances.accounts_receivable.overdue == Decimal("115.00")
    assert fetched.is_customer is True


def test_contacts_join_and_leave_a_group(xero_sandbox, xero_accounting):
    tenant = xero_sandbox.tenant_id
    a = xero_sandbox.create_contact("Silver Signs")
    b = xero_sandbox.create_contact("Golden Bakery")
    group = xero_accounting.create_contact_group(
        tenant, ContactGroups(contact_groups=[ContactGroup(name="Slow payers")])
    ).contact_groups[0]

    xero_accounting.create_contact_group_contacts(
        tenant,
        group.contact_group_id,
        Contacts(contacts=[Contact(contact_id=a.contact_id), Contact(contact_id=b.contact_id)]),
    )
    full = xero_accounting.get_contact_group(tenant, group.contact_group_id).contact_groups[0]
    xero_accounting.delete_contact_group_contact(tenant, group.contact_group_id, a.contact_id)
    after = xero_accounting.get_contact_group(tenant, group.contact_group_id).contact_groups[0]
    b_contact = xero_accounting.get_contact(tenant, b.contact_id).contacts[0]

    assert {str(c.contact_id) for c in full.contacts} == {a.contact_id, b.contact_id}
    assert [str(c.contact_id) for c in after.contacts] == [b.contact_id]
    assert [g.name for g in b_contact.contact_groups] == ["Slow payers"]
    assert [g.name for g in xero_accounting.get_contact_groups(tenant).contact_groups] == ["Slow payers"]


def test_a_po_box_address_is_kept_and_returned_beside_the_street_one(xero_sandbox, xero_accounting):
    from xero_python.accounting import Address

    (created,) = xero_accounting.create_contacts(
        xero_sandbox.tenant_id,
        Contacts(
            contacts=[
                Contact(
                    name="Kowhai Nursery",
                    addresses=[
                        Address(
                            address_type="POBOX", address_line1="PO Box 88", city="Nelson", postal_code="7040"
                        ),
                        Address(address_type="STREET", city="", postal_code=""),
                    ],
                )
            ]
        ),
    ).contacts

    (read,) = xero_accounting.get_contacts(xero_sandbox.tenant_id, i_ds=[created.contact_id]).contacts
    by_type = {str(getattr(a.address_type, "value", a.address_type)): a for a in read.addresses}

    assert (by_type["POBOX"].address_line1, by_type["POBOX"].city, by_type["POBOX"].postal_code) == (
        "PO Box 88",
        "Nelson",
        "7040",
    )
    assert by_type["STREET"].city == "" and not by_type["STREET"].address_line1
