"""Keep a QuickBooks sandbox's state in its own SQLite file, so `make demo` survives a restart.

The same idea as the Xero sandbox's state file: companies (every entity, tombstones, counters,
payment applications), the apps, grants and tokens, the webhook subscription, what the
simulation remembers and the clock's instant are pickled on save and read back on start, so the
tokens Relance holds keep working and its mirror still matches the books. The file is the
sandbox's own and trusted like any local pickle: never load one from elsewhere.
"""

from __future__ import annotations

import dataclasses
import pickle
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox

# A company's runtime plumbing, rebuilt by add_company(): everything else of it is its books.
# Not the books: how the company is wired to the running sandbox, and how strictly it reads (a setting
# of this start, not state to carry over).
_COMPANY_PLUMBING = frozenset({"realm_id", "name", "clock", "lock", "listeners", "_pending", "strictness"})


class StateFile:
    """One SQLite file holding one QuickBooks sandbox's snapshot."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path)
        connection.execute("CREATE TABLE IF NOT EXISTS snapshot (part TEXT PRIMARY KEY, data BLOB NOT NULL)")
        return connection

    def exists(self) -> bool:
        """True when the file holds a snapshot."""
        if not self.path.exists():
            return False
        with self._connect() as connection:
            return connection.execute("SELECT count(*) FROM snapshot").fetchone()[0] > 0

    def save(self, sandbox: QuickBooksSandbox) -> None:
        """Write the whole state (replacing the previous snapshot)."""
        companies = {}
        for realm_id, company in sandbox.companies.items():
            with company.lock:
                books = {
                    f.name: getattr(company, f.name)
                    for f in dataclasses.fields(company)
                    if f.name not in _COMPANY_PLUMBING
                }
                companies[realm_id] = {"name": company.name, "books": pickle.dumps(books)}
        tokens = sandbox.tokens
        with tokens._lock:
            # One pickle, so that grants and the access tokens pointing at them stay one object.
            token_state = pickle.dumps(
                {
                    "apps": tokens.apps,
                    "grants": tokens._grants,
                    "by_refresh": tokens._grants_by_refresh,
                    "access": tokens._access,
                    "default_user_id": tokens.default_user_id,
                }
            )
        parts: dict[str, bytes] = {
            "companies": pickle.dumps(companies),
            "tokens": token_state,
            "subscription": pickle.dumps(sandbox.webhooks.subscription),
            "simulation": pickle.dumps(
                {"reminded": sandbox.simulation.reminded, "acted": sandbox.simulation.acted}
            ),
            "replays": pickle.dumps(dict(sandbox.replays)),
            "now": pickle.dumps(sandbox.clock.now()),
            "seed": pickle.dumps(sandbox.seed),
            "default_app": pickle.dumps(sandbox.app.client_id),
        }
        with self._connect() as connection:
            connection.execute("DELETE FROM snapshot")
            connection.executemany("INSERT INTO snapshot (part, data) VALUES (?, ?)", list(parts.items()))

    def load_into(self, sandbox: QuickBooksSandbox) -> None:
        """Replace a freshly built (unpopulated) sandbox's state with the snapshot."""
        with self._connect() as connection:
            parts: dict[str, Any] = {
                name: pickle.loads(data)  # noqa: S301 - the sandbox's own local file
                for name, data in connection.execute("SELECT part, data FROM snapshot")
            }
        sandbox.companies.clear()
        for realm_id, saved in parts["companies"].items():
            company = sandbox.add_company(saved["name"], realm_id)
            for name, value in pickle.loads(saved["books"]).items():  # noqa: S301 - as above
                setattr(company, name, value)
        state = parts["tokens"]
        tokens = sandbox.tokens
        with tokens._lock:
            tokens.apps = state["apps"]
            tokens._grants = state["grants"]
            tokens._grants_by_refresh = state["by_refresh"]
            tokens._access = state["access"]
            tokens.default_user_id = state["default_user_id"]
        sandbox.app = tokens.apps[parts["default_app"]]
        sandbox.simulation.reminded = parts["simulation"]["reminded"]
        sandbox.simulation.acted = parts["simulation"]["acted"]
        sandbox.replays = parts["replays"]
        sandbox.clock.set(parts["now"])
        sandbox.seed = parts["seed"]
        if parts["subscription"] is not None:
            sandbox.webhooks.subscribe(parts["subscription"])
