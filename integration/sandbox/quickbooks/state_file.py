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
from typing import TYPE_CHECKING, Any

from ..common.snapshot_file import SnapshotFile

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox

# A company's runtime plumbing, rebuilt by add_company(): everything else of it is its books.
# Not the books: how the company is wired to the running sandbox, and how strictly it reads (a setting
# of this start, not state to carry over).
_COMPANY_PLUMBING = frozenset({"realm_id", "name", "clock", "lock", "listeners", "_pending", "strictness"})


class StateFile(SnapshotFile):
    """One SQLite file holding one QuickBooks sandbox's snapshot."""

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
        parts: dict[str, Any] = {
            "companies": companies,
            "tokens": token_state,  # pickled under the lock above, read back with pickle.loads
            "subscription": sandbox.webhooks.subscription,
            "simulation": {"reminded": sandbox.simulation.reminded, "acted": sandbox.simulation.acted},
            "replays": dict(sandbox.replays),
            "now": sandbox.clock.now(),
            "seed": sandbox.seed,
            "default_app": sandbox.app.client_id,
        }
        self.write_parts(parts)

    def load_into(self, sandbox: QuickBooksSandbox) -> None:
        """Replace a freshly built (unpopulated) sandbox's state with the snapshot."""
        parts = self.read_parts()
        sandbox.companies.clear()
        for realm_id, saved in parts["companies"].items():
            company = sandbox.add_company(saved["name"], realm_id)
            for name, value in pickle.loads(saved["books"]).items():  # noqa: S301 - as above
                setattr(company, name, value)
        state = pickle.loads(parts["tokens"])  # noqa: S301 - the sandbox's own local file
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
