"""/Contacts and /ContactGroups: list, get (with Balances), create, update, group membership."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from .batch import write_elements
from .books import OrganisationBooks, new_id
from .context import answer, books_of
from .document_input import ElementInvalid
from .errors import NotFound, ValidationFailed
from .models import ZERO, Contact, ContactGroup, Phone
from .parsing import body_json, elements
from .queries import csv_list, flag, page_request, paginate, select
from .wire import money
from .wire_parties import contact_json, group_json

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

CONTACT_FIELDS = {
    "ContactID",
    "Name",
    "FirstName",
    "LastName",
    "EmailAddress",
    "ContactNumber",
    "AccountNumber",
    "ContactStatus",
    "IsCustomer",
    "IsSupplier",
    "UpdatedDateUTC",
    "DefaultCurrency",
}


def contact_view(contact: Contact) -> dict[str, Any]:
    """The where/order view of a contact."""
    return {
        "ContactID": contact.contact_id,
        "Name": contact.name,
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "EmailAddress": contact.email,
        "ContactNumber": contact.contact_number,
        "AccountNumber": contact.account_number,
        "ContactStatus": contact.status,
        "IsCustomer": contact.is_customer,
        "IsSupplier": contact.is_supplier,
        "UpdatedDateUTC": contact.updated_at,
        "DefaultCurrency": contact.default_currency,
    }


def balances(books: OrganisationBooks, contact: Contact) -> dict[str, Any]:
    """Outstanding and overdue receivables and payables of one contact, in base currency."""
    today = books.clock.today()
    totals = {"ACCREC": [ZERO, ZERO], "ACCPAY": [ZERO, ZERO]}
    for invoice in books.invoices.values():
        if invoice.contact_id != contact.contact_id or invoice.status != "AUTHORISED":
            continue
        due = invoice.amount_due / invoice.currency_rate
        totals[invoice.type][0] += due
        if invoice.due_date is not None and invoice.due_date < today:
            totals[invoice.type][1] += due
    return {
        "AccountsReceivable": {
            "Outstanding": money(totals["ACCREC"][0]),
            "Overdue": money(totals["ACCREC"][1]),
        },
        "AccountsPayable": {"Outstanding": money(totals["ACCPAY"][0]), "Overdue": money(totals["ACCPAY"][1])},
    }


def _apply_contact_fields(contact: Contact, data: dict[str, Any]) -> None:
    for field, attr in (
        ("FirstName", "first_name"),
        ("LastName", "last_name"),
        ("EmailAddress", "email"),
        ("ContactNumber", "contact_number"),
        ("AccountNumber", "account_number"),
    ):
        if field in data:
            setattr(contact, attr, str(data.get(field) or ""))
    if data.get("ContactStatus"):
        status = str(data["ContactStatus"]).upper()
        if status not in ("ACTIVE", "ARCHIVED"):
            raise ElementInvalid("ContactStatus must be ACTIVE or ARCHIVED")
        contact.status = status
    if data.get("DefaultCurrency"):
        contact.default_currency = str(data["DefaultCurrency"]).upper()
    if isinstance(data.get("Phones"), list):
        contact.phones = [
            Phone(str(p.get("PhoneType") or "DEFAULT"), str(p.get("PhoneNumber") or ""))
            for p in data["Phones"]
            if isinstance(p, dict)
        ]
    for address in data.get("Addresses") or []:
        if isinstance(address, dict) and address.get("AddressType") in ("STREET", "POBOX"):
            parts = (
                str(address.get("AddressLine1") or ""),
                str(address.get("City") or ""),
                str(address.get("PostalCode") or ""),
            )
            chosen = parts if any(parts) else None  # an address of empty fields is no address
            if address["AddressType"] == "STREET":
                contact.street = chosen
            else:
                contact.postal = chosen


def save_contact(books: OrganisationBooks, data: dict[str, Any], allow_update: bool) -> Contact:
    """Create a contact, or update one named by ContactID (POST only)."""
    with books.lock:
        existing = books.contacts.get(str(data.get("ContactID") or "").lower())
        if data.get("ContactID") and (existing is None or not allow_update):
            raise ElementInvalid(f"Contact with ContactID {data['ContactID']} could not be found")
        name = str(data.get("Name") or (existing.name if existing else "")).strip()
        if not name:
            raise ElementInvalid("The contact name must be specified")  # unconfirmed wording
        clash = next(
            (
                c
                for c in books.contacts.values()
                if c.name.lower() == name.lower()
                and c.status == "ACTIVE"
                and (existing is None or c.contact_id != existing.contact_id)
            ),
            None,
        )
        if clash is not None:
            raise ElementInvalid(
                f"The contact name {name} is already assigned to another contact. The contact "
                "name must be unique across all active contacts."
            )
        contact = copy.deepcopy(existing) if existing else Contact(new_id(), name, books.now())
        contact.name = name
        _apply_contact_fields(contact, data)
        return books.save_contact(contact, created=existing is None)


def contacts_blueprint(bp: Blueprint, sandbox: XeroSandbox) -> None:
    """Register the contact and contact group routes."""

    @bp.get("/Contacts")
    def list_contacts() -> Response:
        books = books_of(sandbox)
        ids = {i.lower() for i in csv_list("IDs")}
        archived = flag("includeArchived")
        term = (request.args.get("searchTerm") or "").lower()

        def keep(contact: Contact) -> bool:
            searchable = (
                contact.name,
                contact.first_name,
                contact.last_name,
                contact.contact_number,
                contact.email,
            )
            return bool(
                (not ids or contact.contact_id in ids)
                and (archived or contact.status != "ARCHIVED" or ids)
                and (not term or any(term in s.lower() for s in searchable))
            )

        page, size = page_request()
        with books.lock:
            chosen = select(list(books.contacts.values()), contact_view, CONTACT_FIELDS, keep)
            rows, pagination = paginate(chosen, page, size)
            items = [contact_json(c, books) for c in rows]
        if flag("summaryOnly"):
            # Lightweight fields only (OAS-ACC summaryOnly; which fields exactly is unconfirmed).
            heavy = ("Addresses", "Phones", "ContactGroups", "ContactPersons")
            items = [{k: v for k, v in item.items() if k not in heavy} for item in items]
        return answer(sandbox, "Contacts", items, **({"pagination": pagination} if pagination else {}))

    @bp.get("/Contacts/<contact_id>")
    def get_contact(contact_id: str) -> Response:
        books = books_of(sandbox)
        with books.lock:
            contact = books.find_contact(contact_id)
            if contact is None:
                raise NotFound()
            return answer(sandbox, "Contacts", [contact_json(contact, books, balances(books, contact))])

    @bp.put("/Contacts")
    def put_contacts() -> Response:
        books = books_of(sandbox)
        return write_elements(
            sandbox,
            "Contacts",
            elements(body_json(), "Contacts"),
            lambda e: save_contact(books, e, allow_update=False),
            lambda c: contact_json(c, books),
            lock=books.lock,
        )

    @bp.post("/Contacts")
    def post_contacts() -> Response:
        books = books_of(sandbox)
        return write_elements(
            sandbox,
            "Contacts",
            elements(body_json(), "Contacts"),
            lambda e: save_contact(books, e, allow_update=True),
            lambda c: contact_json(c, books),
            lock=books.lock,
        )

    @bp.post("/Contacts/<contact_id>")
    def post_contact(contact_id: str) -> Response:
        books = books_of(sandbox)
        contact = books.find_contact(contact_id)
        if contact is None:
            raise NotFound()
        items = [dict(e, ContactID=contact.contact_id) for e in elements(body_json(), "Contacts")[:1]]
        return write_elements(
            sandbox,
            "Contacts",
            items,
            lambda e: save_contact(books, e, allow_update=True),
            lambda c: contact_json(c, books),
            lock=books.lock,
        )

    def group_or_404(books: OrganisationBooks, group_id: str) -> ContactGroup:
        group = books.groups.get(group_id.lower())
        if group is None:
            raise NotFound()
        return group

    @bp.get("/ContactGroups")
    def list_groups() -> Response:
        books = books_of(sandbox)
        fields = {"ContactGroupID", "Name", "Status"}
        chosen = select(
            list(books.groups.values()),
            lambda g: {
                "ContactGroupID": g.contact_group_id,
                "Name": g.name,
                "Status": g.status,
                "UpdatedDateUTC": books.now(),
            },
            fields | {"UpdatedDateUTC"},
        )
        return answer(sandbox, "ContactGroups", [group_json(g, books, with_contacts=False) for g in chosen])

    @bp.get("/ContactGroups/<group_id>")
    def get_group(group_id: str) -> Response:
        books = books_of(sandbox)
        return answer(sandbox, "ContactGroups", [group_json(group_or_404(books, group_id), books, True)])

    def save_group(
        books: OrganisationBooks, data: dict[str, Any], group: ContactGroup | None
    ) -> ContactGroup:
        name = str(data.get("Name") or (group.name if group else "")).strip()
        if not name:
            raise ElementInvalid("The contact group name must be specified")  # unconfirmed wording
        if any(
            g.name.lower() == name.lower() and g.status == "ACTIVE" and g is not group
            for g in books.groups.values()
        ):
            raise ElementInvalid("You cannot have more than one active contact group with the same name")
        group = group or ContactGroup(new_id(), name)
        group.name = name
        if data.get("Status"):
            status = str(data["Status"]).upper()
            if status not in ("ACTIVE", "DELETED"):
                raise ElementInvalid("Status must be ACTIVE or DELETED")
            group.status = status
        books.groups[group.contact_group_id] = group
        return group

    @bp.put("/ContactGroups")
    def put_groups() -> Response:
        books = books_of(sandbox)
        return write_elements(
            sandbox,
            "ContactGroups",
            elements(body_json(), "ContactGroups"),
            lambda e: save_group(books, e, None),
            lambda g: group_json(g, books, False),
            lock=books.lock,
        )

    @bp.post("/ContactGroups/<group_id>")
    def post_group(group_id: str) -> Response:
        books = books_of(sandbox)
        group = group_or_404(books, group_id)
        return write_elements(
            sandbox,
            "ContactGroups",
            elements(body_json(), "ContactGroups")[:1],
            lambda e: save_group(books, e, group),
            lambda g: group_json(g, books, False),
            lock=books.lock,
        )

    @bp.put("/ContactGroups/<group_id>/Contacts")
    def add_group_contacts(group_id: str) -> Response:
        books = books_of(sandbox)
        group = group_or_404(books, group_id)
        wanted = elements(body_json(), "Contacts")
        added = []
        with books.lock:
            for item in wanted:
                contact = books.contacts.get(str(item.get("ContactID") or "").lower())
                if contact is None:
                    raise ValidationFailed.single("Contact not found", {"ContactID": item.get("ContactID")})
                if contact.contact_id not in group.contact_ids:
                    group.contact_ids.append(contact.contact_id)
                    books.save_contact(contact, created=False)
                added.append(
                    {
                        "ContactID": contact.contact_id,
                        "Addresses": [],
                        "Phones": [],
                        "ContactGroups": [],
                        "ContactPersons": [],
                        "HasValidationErrors": False,
                        "ValidationErrors": [],
                    }
                )
        return answer(sandbox, "Contacts", added)

    @bp.delete("/ContactGroups/<group_id>/Contacts/<contact_id>")
    def remove_group_contact(group_id: str, contact_id: str) -> Response:
        books = books_of(sandbox)
        group = group_or_404(books, group_id)
        with books.lock:
            if contact_id.lower() not in group.contact_ids:
                raise ValidationFailed.single(
                    "The contact is not a member of this contact group", {"ContactID": contact_id}
                )
            group.contact_ids.remove(contact_id.lower())
            books.save_contact(books.contacts[contact_id.lower()], created=False)
        return Response(status=204)

    @bp.delete("/ContactGroups/<group_id>/Contacts")
    def remove_all_group_contacts(group_id: str) -> Response:
        books = books_of(sandbox)
        group = group_or_404(books, group_id)
        with books.lock:
            members, group.contact_ids = group.contact_ids, []
            for contact_id in members:
                if contact_id in books.contacts:
                    books.save_contact(books.contacts[contact_id], created=False)
        return Response(status=204)
