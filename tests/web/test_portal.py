"""The customers' portal stands apart from the staff app: its pages never show the staff
navigation, and until its routes come (issue #17) nothing under /portal answers."""

from __future__ import annotations

import pytest
from flask import render_template
from flask_login import current_user

from runtime.tenancy import User
from tests.web.test_receivables import sign_in


@pytest.fixture
def accountant(session) -> int:  # type: ignore[no-untyped-def]
    user = User(email="accountant@harbour.example", name="Accountant")
    session.add(user)
    session.commit()
    return user.id


def test_a_portal_page_shows_no_staff_navigation_even_to_a_signed_in_accountant(client, accountant) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, accountant)
    with client:
        staff_home = client.get("/")  # the request context stays open: the accountant is signed in
        assert current_user.is_authenticated
        page = render_template("portal/base.html")

    assert "Sign out" in staff_home.text
    assert "Sign out" not in page and "Accountant" not in page
    assert 'href="/"' not in page  # not even the staff app's home


@pytest.mark.parametrize("path", ["/portal", "/portal/", "/portal/invoices/1"])
def test_nothing_under_the_portal_answers_yet(client, accountant, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 404
    sign_in(client, accountant)
    assert client.get(path).status_code == 404
