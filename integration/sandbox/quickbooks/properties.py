"""Which top-level properties each entity has, so a write naming another one is refused.

Intuit deserialises a write body into its schema classes and refuses a property the class does
not have with a 2010 ValidationFault, whose Detail is Jackson's "Unrecognized field" message:
python-quickbooks#80 (an Item with ``PurchaseTaxInclusive``: 'Property Name:Unrecognized field
"PurchaseTaxInclusive" (class com.intuit.schema.finance.v3.Item), not marked as ignorable (54
known properties: "UnitPrice", "PercentBased…') and #38 (a PurchaseOrder line's ``BillableStatus``,
'… specified is unsupported or invalid'). The sandbox accepted such bodies before, so a typo in a
client's field name went unnoticed until it met Intuit.

The names are the entities' properties in Intuit's API reference (REFINV, REFPAY and the other
entity pages, quickbooks-details.md 3), read-only ones included since clients echo a read back in
a full update. Only the top level is checked; nested objects (lines, addresses) are not.
CompanyInfo and Preferences, whose settings objects are large and not written by Relance, are not
checked either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .faults import QuickBooksFault


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


KNOWN: dict[str, frozenset[str]] = {
    "Customer": _names(
        "Active AlternatePhone ARAccountRef Balance BalanceWithJobs BillAddr BillWithParent "
        "BusinessNumber ClientEntityId CompanyName CurrencyRef CustomerTypeRef DefaultTaxCodeRef "
        "DisplayName domain FamilyName Fax FullyQualifiedName GivenName GSTIN GSTRegistrationType "
        "Id IsProject Job Level MetaData MiddleName Mobile Notes OpenBalanceDate ParentRef "
        "PaymentMethodRef PreferredDeliveryMethod PrimaryEmailAddr PrimaryPhone "
        "PrimaryTaxIdentifier PrintOnCheckName ResaleNum SalesTermRef SecondaryTaxIdentifier "
        "ShipAddr Source sparse Suffix SyncToken Taxable TaxExemptionReasonId Title V4IDPseudonym "
        "WebAddr"
    ),
    "Term": _names(
        "Active DayOfMonthDue DiscountDayOfMonth DiscountDays DiscountPercent domain DueDays "
        "DueNextMonthDays Id MetaData Name sparse SyncToken Type"
    ),
    "Invoice": _names(
        "AllowIPNPayment AllowOnlineACHPayment AllowOnlineCreditCardPayment AllowOnlinePayment "
        "ApplyTaxAfterDiscount Balance BillAddr BillEmail BillEmailBcc BillEmailCc ClassRef "
        "CurrencyRef CustomerMemo CustomerRef CustomField DeliveryInfo DepartmentRef Deposit "
        "DepositToAccountRef DocNumber domain DueDate EmailStatus ExchangeRate FreeFormAddress "
        "GlobalTaxCalculation HomeBalance HomeTotalAmt Id InvoiceLink Line LinkedTxn MetaData "
        "PrintStatus PrivateNote ProjectRef RecurDataRef SalesTermRef ShipAddr ShipDate "
        "ShipFromAddr ShipMethodRef sparse SyncToken TaxExemptionRef TotalAmt TrackingNum "
        "TransactionLocationType TxnDate TxnSource TxnTaxDetail"
    ),
    "Payment": _names(
        "ARAccountRef CreditCardPayment CurrencyRef CustomerRef DepositToAccountRef domain "
        "ExchangeRate Id Line MetaData PaymentMethodRef PaymentRefNum PrivateNote ProcessPayment "
        "ProjectRef sparse SyncToken TaxExemptionRef TotalAmt TransactionLocationType TxnDate "
        "TxnSource TxnStatus UnappliedAmt"
    ),
    "CreditMemo": _names(
        "ApplyTaxAfterDiscount Balance BillAddr BillEmail ClassRef CurrencyRef CustomerMemo "
        "CustomerRef CustomField DepartmentRef DepositToAccountRef DocNumber domain EmailStatus "
        "ExchangeRate GlobalTaxCalculation HomeTotalAmt Id InvoiceRef Line LinkedTxn MetaData "
        "PaymentMethodRef PrintStatus PrivateNote ProjectRef RemainingCredit SalesTermRef "
        "ShipAddr sparse SyncToken TotalAmt TransactionLocationType TxnDate TxnSource "
        "TxnTaxDetail"
    ),
    "Attachable": _names(
        "AttachableRef Category ContentType domain FileAccessUri FileName Id Lat Long MetaData "
        "Note PlaceName Size sparse SyncToken Tag TempDownloadUri ThumbnailFileAccessUri "
        "ThumbnailTempDownloadUri"
    ),
    "Item": _names(
        "AbatementRate Active AssetAccountRef ClassRef Description domain ExpenseAccountRef "
        "FullyQualifiedName Id IncomeAccountRef InvStartDate ItemCategoryType Level MetaData Name "
        "ParentRef PrefVendorRef PurchaseCost PurchaseDesc PurchaseTaxCodeRef PurchaseTaxIncluded "
        "QtyOnHand ReorderPoint ReverseChargeRate SalesTaxCodeRef SalesTaxIncluded ServiceType "
        "Sku Source sparse SubItem SyncToken Taxable TaxClassificationRef TrackQtyOnHand Type "
        "UnitPrice UQCDisplayText UQCId"
    ),
    "Account": _names(
        "AccountSubType AccountType AcctNum Active Classification CurrencyRef CurrentBalance "
        "CurrentBalanceWithSubAccounts Description domain FullyQualifiedName Id MetaData Name "
        "ParentRef sparse SubAccount SyncToken TaxCodeRef TxnLocationType"
    ),
}


class UnrecognizedField(QuickBooksFault):
    """2010 for a property the entity does not have (python-quickbooks#38, #80)."""

    code = "2010"
    message = "Request has invalid or unsupported property"

    def __init__(self, kind: str, name: str, known: frozenset[str]) -> None:
        listed = ", ".join(f'"{each}"' for each in sorted(known))
        super().__init__(
            f'Property Name:Unrecognized field "{name}" (class com.intuit.schema.finance.v3.{kind}), '
            f"not marked as ignorable ({len(known)} known properties: {listed}]) "
            "specified is unsupported or invalid",
            element=name,
        )


def check_known(kind: str, payload: Mapping[str, Any]) -> None:
    """Refuse the first property of ``payload`` that ``kind`` does not have (entities not listed
    in KNOWN are not checked)."""
    known = KNOWN.get(kind)
    if known is None:
        return
    for name in payload:
        if name not in known:
            raise UnrecognizedField(kind, name, known)
