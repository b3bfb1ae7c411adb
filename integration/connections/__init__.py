"""The connection lifecycle: what Relance keeps of a consent, and keeping it alive.

A *grant* is one consent's token set, sealed at rest (``vault``); a *connection* is one ledger
tenant reached through it (``models``). This package's face is all that the layers above use:

- connect: ``record_consent`` keeps what a consent gave (``oauth`` runs the flow);
- reach: ``ledger_for`` gives the connection's ``Ledger``, its tokens refreshed under the
  grant's lock (``tokens``);
- needs a person: a refused grant marks its connections ``ConnectionStatus.NEEDS_RECONNECT``
  (telling the people is ``reminders.notices``' work);
- disconnect: ``disconnect`` stops at once, ``tell_ledger_disconnected`` undoes the consent at
  the ledger, ``confirm_disconnected_in_ledger`` checks a ledger that says it was undone there;
- keys: ``reseal_all`` seals every stored token again under the newest key.

The modules behind the face are this package's own (a contract in pyproject.toml refuses an
import of them from above ``integration/``).
"""

from integration.connections.lifecycle import (
    confirm_disconnected_in_ledger,
    disconnect,
    ensure_membership,
    record_consent,
    tell_ledger_disconnected,
)
from integration.connections.models import Connection, ConnectionStatus, LedgerGrant
from integration.connections.oauth import TokenSet
from integration.connections.reach import ledger_for
from integration.connections.tokens import GrantTokens, mark_needs_reconnect
from integration.connections.vault import reseal_all
from integration.providers import Provider, Tenant

__all__ = [
    "Connection",
    "ConnectionStatus",
    "GrantTokens",
    "LedgerGrant",
    "Provider",
    "Tenant",
    "TokenSet",
    "confirm_disconnected_in_ledger",
    "disconnect",
    "ensure_membership",
    "ledger_for",
    "mark_needs_reconnect",
    "record_consent",
    "reseal_all",
    "tell_ledger_disconnected",
]
