"""The practice view's figures for many organisations at once are the ones each organisation's
own aging and key figures give, today and a week ago."""

from __future__ import annotations

from datetime import date, timedelta

from reminders.receivables.overview import headline, practice_figures
from runtime.tenancy import Organisation
from tests.reminders.conftest import invoice

TODAY = date(2026, 7, 1)


def test_practice_figures_for_all_organisations_equal_each_ones_headline(session, organisation) -> None:  # type: ignore[no-untyped-def]
    other = Organisation(name="Other", base_currency="NZD")
    session.add(other)
    session.flush()
    for owner in (organisation, other.id):
        invoice(session, owner, "old", "c-1", "1000.00", date(2026, 1, 10), date(2026, 2, 9))  # over 90
        # Half paid this week: a week ago it owed all of it.
        invoice(
            session,
            owner,
            "half",
            "c-1",
            "400.00",
            date(2026, 5, 1),
            date(2026, 5, 31),
            payments=[("200.00", date(2026, 6, 29))],
        )
        invoice(
            session,
            owner,
            "paid",
            "c-2",
            "300.00",
            date(2026, 4, 1),
            date(2026, 5, 1),
            paid_on=date(2026, 5, 20),
        )
    invoice(
        session, organisation, "new", "c-2", "500.00", date(2026, 6, 30), date(2026, 7, 30)
    )  # this week, current
    session.commit()

    found = practice_figures(session, {organisation: TODAY, other.id: TODAY - timedelta(days=1)})

    for owner, today in ((organisation, TODAY), (other.id, TODAY - timedelta(days=1))):
        now, before = headline(session, owner, today), headline(session, owner, today - timedelta(days=7))
        figures = found[owner]
        assert (figures.owed, figures.overdue, figures.over_90) == (now.owed, now.overdue, now.over_90)
        assert (figures.dso, figures.dso_week_ago) == (now.dso, before.dso)
    assert found[organisation].owed == 1000 + 200 + 500


def test_an_organisation_with_no_invoices_owes_nothing_and_has_no_dso(session, organisation) -> None:  # type: ignore[no-untyped-def]
    figures = practice_figures(session, {organisation: TODAY})[organisation]
    assert (figures.owed, figures.dso, figures.dso_change) == (0, None, None)
