"""Products and services (Item) and the chart of accounts (Account) through python-quickbooks."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.account import Account
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)


def income_account(qb) -> Account:
    return Account.where("AccountType = 'Income'", qb=qb)[0]


def make_item(qb, name: str = "Late payment fee", item_type: str = "Service", **fields) -> Item:
    item = Item()
    item.Name = name
    item.Type = item_type
    item.IncomeAccountRef = income_account(qb).to_ref()
    for key, value in fields.items():
        setattr(item, key, value)
    return item.save(qb=qb)


def make_account(qb, name: str, account_type: str = "Income", **fields) -> Account:
    account = Account()
    account.Name = name
    account.AccountType = account_type
    for key, value in fields.items():
        setattr(account, key, value)
    return account.save(qb=qb)


def invoice_on_item(qb, item_id: str) -> Invoice:
    customer = Customer()
    customer.DisplayName = "Amy's Bird Sanctuary"
    customer = customer.save(qb=qb)
    line = SalesItemLine()
    line.Amount = Decimal("25.00")
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Ref()
    line.SalesItemLineDetail.ItemRef.value = item_id
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line]
    return invoice.save(qb=qb)


# A new company's books ----------------------------------------------------------------------------


def test_new_company_has_income_receivable_and_undeposited_funds_accounts(qb):
    by_type = {(a.AccountType, a.Name): a for a in Account.all(max_results=1000, qb=qb)}

    assert ("Income", "Services") in by_type and ("Income", "Sales of Product Income") in by_type
    assert ("Accounts Receivable", "Accounts Receivable (A/R)") in by_type
    assert ("Other Current Asset", "Undeposited Funds") in by_type
    services = by_type[("Income", "Services")]
    assert services.Classification == "Revenue" and services.Active is True
    assert services.FullyQualifiedName == "Services" and services.CurrentBalance == 0


def test_new_company_sells_services_on_item_1(qb, qbo_api):
    raw = qbo_api.get(f"{qbo_api.company_url}/item/1", params={"minorversion": 75}).json()["Item"]

    assert (raw["Name"], raw["Type"], raw["FullyQualifiedName"], raw["Active"]) == (
        "Services",
        "Service",
        "Services",
        True,
    )
    assert raw["IncomeAccountRef"] == {"value": "1", "name": "Services"}
    assert raw["SyncToken"] == "0" and raw["domain"] == "QBO" and raw["sparse"] is False


# Items --------------------------------------------------------------------------------------------


def test_created_service_item_reads_back_with_its_income_account(qb):
    created = make_item(qb, UnitPrice=Decimal("25.00"), Description="Charged on overdue invoices")

    read = Item.get(created.Id, qb=qb)
    assert read.SyncToken == "0" and read.Name == read.FullyQualifiedName == "Late payment fee"
    assert read.Type == "Service" and read.Active is True and read.Taxable is False
    assert Decimal(str(read.UnitPrice)) == Decimal("25.00")
    assert read.IncomeAccountRef.value == income_account(qb).Id
    assert read.IncomeAccountRef.name == income_account(qb).FullyQualifiedName


def test_item_is_found_by_name(qb):
    created = make_item(qb)
    make_item(qb, "Consulting")

    found = Item.query("SELECT * FROM Item WHERE Name = 'Late payment fee'", qb=qb)

    assert [item.Id for item in found] == [created.Id]
    assert Item.filter(Name="No such item", qb=qb) == []


def test_items_are_found_by_type(qb):
    supplies = make_item(qb, "Office supplies", "NonInventory")

    assert [item.Id for item in Item.filter(Type="NonInventory", qb=qb)] == [supplies.Id]
    assert {item.Name for item in Item.filter(Type="Service", qb=qb)} == {"Services"}


def test_duplicate_item_name_is_intuits_6240_whatever_the_case(qb):
    make_item(qb)

    with pytest.raises(QuickbooksException) as refused:
        make_item(qb, "LATE PAYMENT FEE")

    assert refused.value.error_code == 6240
    assert refused.value.message == "Duplicate Name Exists Error"
    assert "Another product or service is already using this name" in refused.value.detail


def test_item_update_with_a_stale_sync_token_is_refused(qb):
    created = make_item(qb)
    first, second = Item.get(created.Id, qb=qb), Item.get(created.Id, qb=qb)
    first.UnitPrice = 30
    first.save(qb=qb)

    second.UnitPrice = 35
    with pytest.raises(QuickbooksException) as refused:
        second.save(qb=qb)

    assert refused.value.error_code == 5010
    assert Decimal(str(Item.get(created.Id, qb=qb).UnitPrice)) == Decimal("30")


def test_sparse_update_of_an_item_changes_only_what_is_sent(qb):
    created = make_item(qb, Description="Charged on overdue invoices")

    body = {"Id": created.Id, "SyncToken": created.SyncToken, "sparse": True, "UnitPrice": 12.5}
    answer = qb.update_object("Item", json.dumps(body))["Item"]

    assert answer["SyncToken"] == "1" and answer["UnitPrice"] == 12.5
    assert answer["Name"] == "Late payment fee" and answer["Description"] == "Charged on overdue invoices"


def test_full_update_of_an_item_renames_it(qb):
    item = Item.get(make_item(qb).Id, qb=qb)
    item.Name = "Late fee"

    saved = item.save(qb=qb)

    assert saved.SyncToken == "1" and saved.FullyQualifiedName == "Late fee"
    assert Item.filter(Name="Late payment fee", qb=qb) == []


def test_service_item_without_an_income_account_is_refused(qb):
    item = Item()
    item.Name = "Late payment fee"
    item.Type = "Service"

    with pytest.raises(ValidationException) as refused:
        item.save(qb=qb)

    assert refused.value.error_code == 2020 and "IncomeAccountRef" in refused.value.detail


def test_item_on_an_unknown_income_account_is_refused(qb):
    item = Item()
    item.Name = "Late payment fee"
    item.Type = "Service"
    item.IncomeAccountRef = Ref()
    item.IncomeAccountRef.value = "4242"

    with pytest.raises(ValidationException) as refused:
        item.save(qb=qb)

    assert refused.value.error_code == 2500


def test_inactive_item_is_left_out_of_queries_unless_asked_for(qb):
    item = Item.get(make_item(qb).Id, qb=qb)
    item.Active = False
    item.save(qb=qb)

    assert Item.filter(Name="Late payment fee", qb=qb) == []
    asked = Item.where("Name = 'Late payment fee' AND Active IN (true, false)", qb=qb)
    assert [found.Id for found in asked] == [item.Id] and asked[0].Active is False


# Items on invoices --------------------------------------------------------------------------------


def test_invoice_line_item_ref_comes_back_with_the_items_name(qb):
    item = make_item(qb)

    invoice = invoice_on_item(qb, item.Id)

    ref = invoice.Line[0].SalesItemLineDetail.ItemRef
    assert (ref.value, ref.name) == (item.Id, "Late payment fee")


def test_invoice_line_on_an_unknown_item_is_refused(qb):
    with pytest.raises(ValidationException) as refused:
        invoice_on_item(qb, "4242")

    assert refused.value.error_code == 2500 and "ItemRef" in refused.value.detail


# Accounts -----------------------------------------------------------------------------------------


def test_created_account_gets_its_classification_and_sub_type(qb):
    created = make_account(qb, "Late Fee Income")

    read = Account.get(created.Id, qb=qb)
    assert (read.AccountType, read.AccountSubType, read.Classification) == (
        "Income",
        "SalesOfProductIncome",
        "Revenue",
    )
    assert read.FullyQualifiedName == "Late Fee Income" and read.SubAccount is False
    assert read.CurrentBalance == 0 and read.Active is True


def test_sub_account_is_named_under_its_parent(qb):
    parent = make_account(qb, "Fees")
    child = Account()
    child.Name = "Late fees"
    child.AccountType = "Income"
    child.ParentRef = parent.to_ref()

    saved = child.save(qb=qb)

    assert saved.FullyQualifiedName == "Fees:Late fees" and saved.SubAccount is True


def test_income_accounts_are_found_by_type(qb):
    make_account(qb, "Late Fee Income")
    make_account(qb, "Petty Cash", "Bank")

    names = {a.Name for a in Account.query("SELECT * FROM Account WHERE AccountType = 'Income'", qb=qb)}

    assert names == {"Services", "Sales of Product Income", "Late Fee Income"}


def test_account_name_with_a_colon_is_refused(qb):
    with pytest.raises(ValidationException) as refused:
        make_account(qb, "Fees:Late")

    assert refused.value.error_code == 2010


def test_duplicate_account_name_is_6240(qb):
    with pytest.raises(QuickbooksException) as refused:
        make_account(qb, "services")

    assert refused.value.error_code == 6240


def test_account_update_with_a_stale_sync_token_is_refused(qb):
    created = make_account(qb, "Late Fee Income")
    first, second = Account.get(created.Id, qb=qb), Account.get(created.Id, qb=qb)
    first.Description = "Fees on overdue invoices"
    first.save(qb=qb)

    second.Active = False
    with pytest.raises(QuickbooksException) as refused:
        second.save(qb=qb)

    assert refused.value.error_code == 5010
    assert Account.get(created.Id, qb=qb).Active is True
