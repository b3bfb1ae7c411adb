"""The customer page's panels and timeline entries, and the settings pages, that the collections
features add.

The customer page (web/customers.py) shows the account, the reminders and the timeline; each
collections feature (promises, disputes, holds, fees, the hand-off) adds a panel of its own and
says how the timeline words its events, here, in one explicit list each, so that the page itself
does not grow a branch per feature:

- ``PANELS``: (anchor, template, context function). The function gets the organisation and the
  customer and returns the panel's context (the template reads it as ``panel.data``), or None to
  show nothing. Panels render in this order, after the reminders card.
- ``SETTINGS_PAGES``: a feature's own settings page (credit holds, late fees), linked from the
  organisation's settings page.
- ``TIMELINE``: an audit action's first part (``promise`` for ``promise.made``) → the template
  that words its entries (it reads ``entry``: ``kind``, ``details``, ``actor``, ``at``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from runtime.tenancy import Organisation
from sync.models import Customer

PanelData = Callable[[Organisation, Customer], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    anchor: str
    template: str
    data: dict[str, Any]


def _promises(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    from web.promises import panel_data  # web.promises imports the page's helpers

    return panel_data(organisation, customer)


def _hold(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    from web.holds import hold_panel  # imported late: the features' pages import this module

    return hold_panel(organisation, customer)


def _handoff(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    from web.handoff_pages import handoff_panel

    return handoff_panel(organisation, customer)


def _disputes(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    from web.disputes import disputes_panel

    return disputes_panel(organisation, customer)


def _portal(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    from web.portal_panel import panel_data

    return panel_data(organisation, customer)


PANELS: list[tuple[str, str, PanelData]] = [
    ("hold", "customers/panels/hold.html", _hold),
    ("disputes", "customers/panels/disputes.html", _disputes),
    ("promises", "customers/panels/promises.html", _promises),
    ("handoff", "customers/panels/handoff.html", _handoff),
    ("portal", "customers/panels/portal.html", _portal),
]

TIMELINE: dict[str, str] = {
    "promise": "customers/timeline/promise.html",
    "dispute": "customers/timeline/dispute.html",
    "hold": "customers/timeline/hold.html",
    # the hand-off's customer.handed_off and customer.taken_back (the page words customer.note and
    # customer.chasing itself; the partial words any other customer.* generically)
    "customer": "customers/timeline/customer.html",
    "discount": "customers/timeline/discount.html",  # an early-payment discount settled
    "fee": "customers/timeline/fee.html",
    "portal": "customers/timeline/portal.html",  # the customer's portal: openings, links, addresses
}

# The settings pages the collections features add, linked from the organisation's settings page:
# (endpoint taking ``organisation_id``, its label as a lazy string).
SETTINGS_PAGES: list[tuple[str, Any]] = [
    ("holds.rules", _l("Credit holds")),
    ("promises.settings", _l("Promises to pay")),
    ("discounts.terms", _l("Early-payment discounts")),
    ("handoff.settings", _l("Collection agency hand-off")),
    ("fees.settings", _l("Late fees and interest")),
    ("portal_settings.edit", _l("Customer portal")),
]


def panels_for(organisation: Organisation, customer: Customer) -> list[Panel]:
    """The panels with something to show for this customer, in order."""
    shown = []
    for anchor, template, data_for in PANELS:
        data = data_for(organisation, customer)
        if data is not None:
            shown.append(Panel(anchor, template, data))
    return shown
