"""A QuickBooks sandbox with a state file starts where it stopped: books, tokens, webhooks, clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import requests
from qbo_clients import FAST_WEBHOOKS
from requests.auth import HTTPBasicAuth

from integration.sandbox.quickbooks import QuickBooksSandbox


def read_invoice(
    sandbox: QuickBooksSandbox, realm: str, invoice_id: str, access_token: str
) -> requests.Response:
    return requests.get(
        f"{sandbox.api_url_v3}/company/{realm}/invoice/{invoice_id}",
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        timeout=5,
    )


def test_state_file_keeps_books_tokens_and_subscription_across_a_restart(tmp_path) -> None:
    path = tmp_path / "quickbooks.sqlite"
    with QuickBooksSandbox(
        seed="demo", demo_customers=5, demo_invoices=20, dispatch=FAST_WEBHOOKS, state_file=path
    ) as first:
        realm = first.realm_ids[0]
        connection = first.connect(realm)
        customer = first.company(realm).live("Customer")[0]
        invoice = first.create_invoice(realm, customer.id, "123.45")
        first.record_payment(realm, invoice.id, "23.45")
        first.subscribe_webhooks("http://127.0.0.1:9/webhooks/quickbooks", "verifier-1")
        first.advance_clock(seconds=600, simulate=False)
        stopped_at, user, invoices = (
            first.clock.now(),
            first.user_id,
            len(first.company(realm).live("Invoice")),
        )

    # Another seed, to show that nothing of it is used: the saved state wins.
    with QuickBooksSandbox(seed="empty", state_file=path, dispatch=FAST_WEBHOOKS) as second:
        answer = read_invoice(second, realm, invoice.id, connection.access_token)
        assert answer.status_code == 200, answer.text
        assert Decimal(str(answer.json()["Invoice"]["Balance"])) == Decimal("100.00")
        assert second.realm_ids[0] == realm and second.company(realm).name == first.company(realm).name
        assert len(second.company(realm).live("Invoice")) == invoices
        assert second.user_id == user, "the same person signs in after a restart"
        assert abs(second.clock.now() - stopped_at) < timedelta(seconds=5), "the clock resumes"
        assert second.webhooks.subscription is not None
        assert second.webhooks.subscription.verifier_token == "verifier-1"
        refreshed = requests.post(
            f"{second.base_url}/oauth-platform/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": connection.refresh_token},
            auth=HTTPBasicAuth(second.app.client_id, second.app.client_secret),
            timeout=5,
        )
        assert refreshed.status_code == 200, refreshed.text
        # New ids continue after the saved ones instead of colliding with them.
        later = second.create_invoice(realm, customer.id, "10.00")
        assert int(later.id) > int(invoice.id)


def test_without_a_state_file_each_start_is_seeded_afresh(tmp_path) -> None:
    with QuickBooksSandbox(seed="demo", demo_customers=5, demo_invoices=20) as first:
        realm = first.realm_ids[0]
        first.create_invoice(realm, first.company(realm).live("Customer")[0].id, "5.00")
        invoices = len(first.company(realm).live("Invoice"))
    with QuickBooksSandbox(seed="demo", demo_customers=5, demo_invoices=20) as second:
        assert len(second.company(realm).live("Invoice")) == invoices - 1


def test_one_person_signs_in_whichever_company_is_chosen() -> None:
    sandbox = QuickBooksSandbox(seed="empty")
    subjects = {
        sandbox.tokens.new_grant(sandbox.app.client_id, realm, ("openid",)).user_id
        for realm in sandbox.realm_ids
    }
    assert subjects == {sandbox.user_id}
    assert QuickBooksSandbox(seed="empty").user_id == sandbox.user_id, "the same seed, the same person"
