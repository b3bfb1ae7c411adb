"""One SQLite file holding a sandbox's snapshot, part by part, so `make demo` survives a restart.

Each part is pickled on its own. The file is the sandbox's own and trusted like any local pickle:
never load one from elsewhere. Each ledger's ``state_file.py`` says which parts make its state.
"""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path
from typing import Any


class SnapshotFile:
    """Write and read back a whole snapshot: ``{part name: any picklable value}``."""

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

    def write_parts(self, parts: dict[str, Any]) -> None:
        """Replace the snapshot with these parts, in one transaction."""
        with self._connect() as connection:
            connection.execute("DELETE FROM snapshot")
            connection.executemany(
                "INSERT INTO snapshot (part, data) VALUES (?, ?)",
                [(name, pickle.dumps(value)) for name, value in parts.items()],
            )

    def read_parts(self) -> dict[str, Any]:
        """The snapshot's parts."""
        with self._connect() as connection:
            return {
                name: pickle.loads(data)  # noqa: S301 - the sandbox's own local file
                for name, data in connection.execute("SELECT part, data FROM snapshot")
            }
