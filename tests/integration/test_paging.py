"""The keyset reader both ledgers use, against an in-memory ledger that other writers change
between pages: every record is read, and none twice unless it changed meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from integration import paging

START = datetime(2026, 1, 1, tzinfo=UTC)


class Ledger:
    """Rows ordered by (updated, id) as the ledgers return them; fetch counts calls."""

    def __init__(self, stamps: list[int]) -> None:
        self.rows = {str(n): START + timedelta(seconds=at) for n, at in enumerate(stamps)}
        self.calls = 0

    def fetch(self, page_size: int):
        def fetch(cursor, page):
            self.calls += 1
            chosen = sorted((at, key) for key, at in self.rows.items() if cursor is None or at >= cursor)
            window = chosen[(page - 1) * page_size : page * page_size]
            return [{"id": key, "at": at} for at, key in window]

        return fetch


@settings(max_examples=150, deadline=None)
@given(
    stamps=st.lists(st.integers(0, 30), max_size=120),
    page_size=st.integers(1, 12),
    edits=st.lists(st.integers(0, 119), max_size=6),
)
def test_every_record_is_read_even_when_others_edit_between_pages(stamps, page_size, edits):
    ledger = Ledger(stamps)
    yielded: list[str] = []
    edited: set[str] = set()
    pending = list(edits)
    for page in paging.changed_pages(
        ledger.fetch(page_size), lambda r: r["at"], lambda r: r["id"], None, page_size
    ):
        yielded.extend(row["id"] for row in page)
        if pending and ledger.rows:  # someone edits a record: it moves to the end of the order
            key = str(pending.pop() % len(ledger.rows))
            ledger.rows[key] = max(ledger.rows.values()) + timedelta(seconds=1)
            edited.add(key)

    assert set(yielded) == set(ledger.rows)
    assert all(yielded.count(key) == 1 for key in set(yielded) - edited)
    # Undisturbed: a page per (page_size - 1) new rows (the boundary row comes back) plus an empty
    # last page; each edit can cost one re-read of that much.
    per_read = -(-len(stamps) // max(page_size - 1, 1)) + 2
    assert ledger.calls <= (len(edits) + 1) * per_read
