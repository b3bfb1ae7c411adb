"""Credit holds on the web: a person puts a customer on hold and releases it with a reason, sets its
credit limit and account manager, the list filters the customers on hold, and the rules are set on
their own settings page."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from reminders.hold_writes import HoldWrite
from reminders.holds import CreditHold, CreditLimit, HoldReason, HoldRules
from reminders.schedules.models import CustomerChasing
from reminders.team_notices import TeamNotice
from runtime.db import db
from sync.models import Invoice
from tests.web import test_customers
from tests.web.test_customers import names
from tests.web.test_receivables import sign_in

# The customers area's fixtures: Harbour Cafe's customers on a frozen day.
books, today = test_customers.books, test_customers.today


def _page(client, books, name: str) -> str:  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/organisations/{books['harbour']}/customers/{books['customers'][name]}",
        headers={"Accept-Language": "en-NZ"},
    )
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def test_a_person_puts_a_customer_on_hold_with_a_reason_and_releases_it(client, books, redis_client) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    moa = books["customers"]["Moa Motors"]
    base = f"/organisations/{books['harbour']}/customers/{moa}"

    assert client.post(f"{base}/hold", data={"reason": "   "}).status_code == 400
    placed = client.post(f"{base}/hold", data={"reason": "cheque bounced"})
    assert placed.status_code == 302
    hold = db.session.scalar(select(CreditHold))
    assert hold.reason == HoldReason.PERSON and hold.detail == "cheque bounced"
    assert hold.placed_by_user_id == books["owner"]
    text = _page(client, books, "Moa Motors")
    assert "Account on hold" in text and "cheque bounced" in text
    assert "Put on credit hold by Aroha: cheque bounced" in text

    listed = client.get(f"/organisations/{books['harbour']}/customers?hold=1")
    assert names(listed.text) == ["Moa Motors"]
    everyone = client.get(
        f"/organisations/{books['harbour']}/customers", headers={"Accept-Language": "en-NZ"}
    )
    assert everyone.text.count('<span class="badge bad">on hold</span>') == 1  # Moa's row only

    released = client.post(f"{base}/hold/release", data={"reason": "paid by card"})
    assert released.status_code == 302
    db.session.expire_all()
    hold = db.session.get(CreditHold, hold.id)
    assert hold.lifted_at is not None and hold.lift_reason == "paid by card"
    assert "Credit hold lifted by Aroha: paid by card" in _page(client, books, "Moa Motors")
    assert names(client.get(f"/organisations/{books['harbour']}/customers?hold=1").text) == []
    assert [w.kind for w in db.session.scalars(select(HoldWrite).order_by(HoldWrite.id))] == [
        "place",
        "release",
    ]
    assert len(db.session.scalars(select(TeamNotice)).all()) == 2


def test_a_credit_limit_is_an_amount_in_the_customers_currency(client, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    tui = books["customers"]["Tui Catering"]
    url = f"/organisations/{books['harbour']}/customers/{tui}/credit-limit"

    for hostile in ("lots", "-5", "NaN", "1e40"):
        assert client.post(url, data={"amount": hostile}).status_code == 400
    assert db.session.scalar(select(CreditLimit)) is None
    assert client.post(url, data={"amount": "5,000"}).status_code == 302
    limit = db.session.scalar(select(CreditLimit))
    assert limit.amount == Decimal("5000.00") and limit.currency == "NZD"
    assert client.post(url, data={"amount": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(CreditLimit)) is None


def test_the_account_manager_is_one_of_the_organisations_people(client, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    tui = books["customers"]["Tui Catering"]
    url = f"/organisations/{books['harbour']}/customers/{tui}/account-manager"

    assert client.post(url, data={"user": "999999"}).status_code == 400
    assert client.post(url, data={"user": str(books["owner"])}).status_code == 302
    choice = db.session.scalar(select(CustomerChasing).where(CustomerChasing.customer_id == tui))
    assert choice.account_manager_user_id == books["owner"]
    assert f'<option value="{books["owner"]}" selected>' in _page(client, books, "Tui Catering")


def test_the_rules_have_their_own_settings_page(client, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    settings = client.get(f"/organisations/{books['harbour']}/settings", headers={"Accept-Language": "en-NZ"})
    assert f"/organisations/{books['harbour']}/settings/credit-holds" in settings.text
    url = f"/organisations/{books['harbour']}/settings/credit-holds"
    assert "Credit holds" in client.get(url, headers={"Accept-Language": "en-NZ"}).text

    assert client.post(url, data={"enabled": "y", "days_past_due": "0"}).status_code == 400
    saved = client.post(url, data={"enabled": "y", "days_past_due": "60", "risk_class": "3"})
    assert saved.status_code == 302
    rules = db.session.get(HoldRules, books["harbour"])
    assert rules.enabled and rules.days_past_due == 60 and rules.risk_class == 3
    assert not rules.over_credit_limit and not rules.broken_promise  # unticked boxes


def test_a_credit_limit_set_below_the_balance_puts_the_customer_on_hold_at_once(
    client, books, redis_client
) -> None:  # type: ignore[no-untyped-def]
    db.session.add(HoldRules(organisation_id=books["harbour"], enabled=True))
    # The holds read what the ledger says is due (these fixtures leave it to the aging).
    db.session.execute(
        update(Invoice).where(Invoice.customer_ledger_id == "c-1").values(amount_due=Invoice.total)
    )
    db.session.commit()
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    tui = books["customers"]["Tui Catering"]  # owes 350.00

    saved = client.post(
        f"/organisations/{books['harbour']}/customers/{tui}/credit-limit", data={"amount": "300"}
    )

    assert saved.status_code == 302
    hold = db.session.scalar(select(CreditHold).where(CreditHold.customer_id == tui))
    assert hold is not None and hold.reason == HoldReason.CREDIT_LIMIT
    assert len(db.session.scalars(select(TeamNotice)).all()) == 1
    text = _page(client, books, "Tui Catering")
    assert "when its credit limit is saved" in text


def test_a_rules_hold_is_worded_in_the_readers_language_from_its_figures(client, books, redis_client) -> None:  # type: ignore[no-untyped-def]
    db.session.add(HoldRules(organisation_id=books["harbour"], enabled=True))
    db.session.execute(
        update(Invoice).where(Invoice.customer_ledger_id == "c-2").values(amount_due=Invoice.total)
    )
    db.session.commit()
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    moa = books["customers"]["Moa Motors"]  # owes 1,000.00, 95 days past due
    base = f"/organisations/{books['harbour']}/customers/{moa}"
    assert client.post(f"{base}/credit-limit", data={"amount": "5000"}).status_code == 302

    english = _page(client, books, "Moa Motors")
    assert "an invoice 95 days past due" in english and "an invoice is" not in english
    assert "Put on credit hold by Relance: an invoice 95 days past due" in english
    assert "Credit limit set to $5,000.00 by Aroha" in english
    assert "Released, a hold placed by a rule is not placed again by that rule" in english

    french = client.get(base, headers={"Accept-Language": "fr-FR"}).text
    assert "une facture en retard de 95 jours" in french and "an invoice" not in french
    assert "Crédit suspendu par Relance : une facture en retard de 95 jours" in french
    assert "Limite de crédit fixée à 5\u202f000,00\u00a0$NZ par Aroha" in french


def test_a_released_rule_hold_stays_released_after_a_hold_by_hand_is_released_too(
    client, books, redis_client
) -> None:  # type: ignore[no-untyped-def]
    db.session.add(HoldRules(organisation_id=books["harbour"], enabled=True))
    db.session.execute(
        update(Invoice).where(Invoice.customer_ledger_id == "c-1").values(amount_due=Invoice.total)
    )
    db.session.commit()
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    tui = books["customers"]["Tui Catering"]  # owes 350.00
    base = f"/organisations/{books['harbour']}/customers/{tui}"

    client.post(f"{base}/credit-limit", data={"amount": "300"})  # the rule holds it
    client.post(f"{base}/hold/release", data={"reason": "agreed a plan"})
    client.post(f"{base}/hold", data={"reason": "cheque bounced"})  # by hand
    client.post(f"{base}/hold/release", data={"reason": "cheque cleared"})
    client.post(f"{base}/credit-limit", data={"amount": "310"})  # evaluated again: still over

    db.session.expire_all()
    holds = db.session.scalars(select(CreditHold).where(CreditHold.customer_id == tui)).all()
    assert [h.reason for h in holds] == [HoldReason.CREDIT_LIMIT, HoldReason.PERSON]
    assert all(h.lifted_at is not None for h in holds)
