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


PANELS: list[tuple[str, str, PanelData]] = []

TIMELINE: dict[str, str] = {
    "fee": "customers/timeline/fee.html",
}

# The settings pages the collections features add, linked from the organisation's settings page:
# (endpoint taking ``organisation_id``, its label as a lazy string).
SETTINGS_PAGES: list[tuple[str, Any]] = [
    ("fees.settings", _l("Late fees and interest")),
]


def panels_for(organisation: Organisation, customer: Customer) -> list[Panel]:
    """The panels with something to show for this customer, in order."""
    shown = []
    for anchor, template, data_for in PANELS:
        data = data_for(organisation, customer)
        if data is not None:
            shown.append(Panel(anchor, template, data))
    return shown
