"""Keep a sandbox's state in its own SQLite file, so `make demo` survives a restart.

The books, apps, connections, tokens and the clock's instant are pickled into one SQLite table
on save and read back on start; Relance stays connected across restarts because its tokens are
still known. The file is the sandbox's own and trusted like any local pickle: never load one
from elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..common.snapshot_file import SnapshotFile

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

_BOOK_PARTS = ("contacts", "groups", "invoices", "payments", "credits", "allocations", "_numbers")


class StateFile(SnapshotFile):
    """One SQLite file holding one sandbox's snapshot."""

    def save(self, sandbox: XeroSandbox) -> None:
        """Write the whole state (replacing the previous snapshot)."""
        organisations = {}
        for tenant_id, books in sandbox.organisations.items():
            with books.lock:
                organisations[tenant_id] = {
                    "organisation": books.organisation,
                    **{part: getattr(books, part) for part in _BOOK_PARTS},
                }
        parts: dict[str, Any] = {
            "organisations": organisations,
            "apps": sandbox.directory.apps,
            "users": sandbox.directory.users,
            "connections": sandbox.directory.connections,
            "tokens": sandbox.tokens.export_state(),
            "now": sandbox.clock.now(),
            "seed": sandbox.seed,
            "default_app": sandbox.app.client_id,
            "default_user": sandbox.user.user_id,
        }
        self.write_parts(parts)

    def load_into(self, sandbox: XeroSandbox) -> None:
        """Replace a freshly built sandbox's state with the snapshot."""
        parts = self.read_parts()
        sandbox.organisations.clear()
        for tenant_id, saved in parts["organisations"].items():
            books = sandbox.add_organisation(saved["organisation"].name, tenant_id=tenant_id)
            books.organisation = saved["organisation"]
            for part in _BOOK_PARTS:
                setattr(books, part, saved[part])
        directory = sandbox.directory
        directory.apps, directory.users, directory.connections = (
            parts["apps"],
            parts["users"],
            parts["connections"],
        )
        sandbox.tokens.import_state(parts["tokens"])
        sandbox.clock.set(parts["now"])
        sandbox.seed = parts["seed"]
        sandbox.app = directory.apps[parts["default_app"]]
        sandbox.user = directory.users[parts["default_user"]]
