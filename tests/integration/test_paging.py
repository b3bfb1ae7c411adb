"""The keyset reader both ledgers use, against an in-memory ledger that other writers change
between pages: every record is read, and none twice unless it changed meanwhile, whether the
ledger's change filter is inclusive or exclusive and second-precise, and in whatever order it
returns records that share a time."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integration import paging

START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
FILTERS = ("inclusive", "exclusive")


class Ledger:
    """Rows ordered by updated time alone, as a query with one sort key returns them; fetch counts
    calls. ``ties`` says how rows sharing a time are ordered: "stable" (an arbitrary order that
    stays the same between calls, not by id) or "shuffled" (a new order on every call)."""

    def __init__(self, stamps: list[int], change_filter: str, ties: str, salt: int = 0) -> None:
        # A stamp is in tenths of a second, so several records share a second but not an instant.
        self.rows = {str(n): START + timedelta(milliseconds=100 * at) for n, at in enumerate(stamps)}
        self.change_filter, self.ties, self.salt = change_filter, ties, salt
        self.calls = 0
        self.bounds: list[datetime | None] = []

    def admits(self, at: datetime, bound: datetime | None) -> bool:
        if bound is None:
            return True
        if self.change_filter == "inclusive":
            return at >= bound
        return paging.whole_second(at) > paging.whole_second(bound)

    def tie_order(self, key: str) -> str:
        return hashlib.sha256(f"{self.salt}:{key}".encode()).hexdigest()

    def fetch(self, page_size: int):
        def fetch(bound, page):
            self.calls += 1
            self.bounds.append(bound)
            chosen = [(at, key) for key, at in self.rows.items() if self.admits(at, bound)]
            if self.ties == "shuffled":
                random.shuffle(chosen)
                chosen.sort(key=lambda pair: pair[0])
            else:
                chosen.sort(key=lambda pair: (pair[0], self.tie_order(pair[1])))
            window = chosen[(page - 1) * page_size : page * page_size]
            return [{"id": key, "at": at} for at, key in window]

        return fetch


def read_all(
    ledger: Ledger, page_size: int, edits: list[int], pages_a_call: int = 0
) -> tuple[list[str], set[str]]:
    """Read everything; after each page someone edits a record, which moves it to the end. With
    ``pages_a_call``, pages come that many in one call (the edits land after the call answered)."""
    yielded: list[str] = []
    edited: set[str] = set()
    pending = list(edits)
    fetch = ledger.fetch(page_size)

    def fetch_pages(bound, first, count):
        """One call however many pages it answers; each page after the first with the row before it."""
        calls = ledger.calls
        pages = [fetch(bound, first)]
        pages += [
            fetch(bound, page - 1)[-1:] + fetch(bound, page) for page in range(first + 1, first + count)
        ]
        ledger.calls = calls + 1
        return pages

    batched = {"fetch_pages": fetch_pages, "pages_wanted": lambda read: pages_a_call} if pages_a_call else {}
    for page in paging.changed_pages(fetch, lambda r: r["at"], lambda r: r["id"], None, page_size, **batched):
        yielded.extend(row["id"] for row in page)
        if pending and ledger.rows:
            key = str(pending.pop() % len(ledger.rows))
            ledger.rows[key] = max(ledger.rows.values()) + timedelta(milliseconds=300)
            edited.add(key)
    return yielded, edited


@settings(max_examples=150, deadline=None)
@given(
    stamps=st.lists(st.integers(0, 60), max_size=120),
    page_size=st.integers(1, 12),
    edits=st.lists(st.integers(0, 119), max_size=6),
    change_filter=st.sampled_from(FILTERS),
    salt=st.integers(0, 1000),
)
def test_every_record_is_read_even_when_others_edit_between_pages(
    stamps, page_size, edits, change_filter, salt
):
    # Dense seconds (many records in one second, more than a page) with ties in a stable order.
    ledger = Ledger(stamps, change_filter, "stable", salt)

    yielded, edited = read_all(ledger, page_size, edits)

    assert set(yielded) == set(ledger.rows)
    assert all(yielded.count(key) == 1 for key in set(yielded) - edited)
    assert all(bound is None or bound.microsecond == 0 for bound in ledger.bounds)
    assert ledger.calls <= (len(edits) + 1) * (2 * len(stamps) + 3)


@settings(max_examples=150, deadline=None)
@given(
    stamps=st.lists(st.integers(0, 60), max_size=120),
    page_size=st.integers(1, 12),
    edits=st.lists(st.integers(0, 119), max_size=6),
    change_filter=st.sampled_from(FILTERS),
    pages_a_call=st.integers(2, 5),
)
def test_pages_read_several_a_call_miss_nothing_either(stamps, page_size, edits, change_filter, pages_a_call):
    """QuickBooks' batch endpoint: several pages by number at one bound in one call."""
    ledger = Ledger(stamps, change_filter, "stable")

    yielded, edited = read_all(ledger, page_size, edits, pages_a_call)

    assert set(yielded) == set(ledger.rows)
    assert all(yielded.count(key) == 1 for key in set(yielded) - edited)
    if not edits and stamps:  # nothing moved: about one call per pages_a_call pages, not one a page
        assert ledger.calls <= 2 * len(stamps) // (page_size * pages_a_call) + 3


@settings(max_examples=150, deadline=None)
@given(
    seconds=st.lists(st.integers(0, 40), max_size=80),
    page_size=st.integers(7, 12),
    edits=st.lists(st.integers(0, 79), max_size=4),
    change_filter=st.sampled_from(FILTERS),
)
def test_records_sharing_a_time_are_read_in_whatever_order_the_ledger_returns_them(
    seconds, page_size, edits, change_filter
):
    # At most two records a second, some at the very same instant, in a new order on every call:
    # no window of the overlap fills a page, so the reader never depends on the order of ties.
    stamps = []
    for second in sorted(set(seconds)):
        stamps.append(10 * second + 5)
        if seconds.count(second) > 1:
            stamps.append(10 * second + 5 if second % 2 else 10 * second + 9)
    ledger = Ledger(stamps, change_filter, "shuffled")

    yielded, edited = read_all(ledger, page_size, edits)

    assert set(yielded) == set(ledger.rows)
    assert all(yielded.count(key) == 1 for key in set(yielded) - edited)
    # The overlap (the page's last second and the one before) holds at most four records, so a
    # page brings at least page_size - 4 new ones; an edit can cost one re-read of that much.
    per_read = -(-len(stamps) // (page_size - 4)) + 2
    assert ledger.calls <= (len(edits) + 1) * per_read


@pytest.mark.parametrize("change_filter", FILTERS)
def test_a_record_later_in_the_boundary_second_is_not_lost_at_a_page_boundary(change_filter):
    # A full page ends with a record at 09:00:05.100; the next, at 09:00:05.900, is on no page yet.
    ledger = Ledger([10, 20, 30, 40, 51, 59], change_filter, "stable")

    read = [
        row["id"]
        for page in paging.changed_pages(ledger.fetch(5), lambda r: r["at"], lambda r: r["id"], None, 5)
        for row in page
    ]

    assert sorted(read) == ["0", "1", "2", "3", "4", "5"]
    assert ledger.bounds == [None, START + timedelta(seconds=4)]


def test_a_since_with_a_fraction_is_sent_as_its_whole_second():
    ledger = Ledger([12, 57], "exclusive", "stable")

    since = START + timedelta(seconds=1, milliseconds=700)
    list(paging.changed_pages(ledger.fetch(5), lambda r: r["at"], lambda r: r["id"], since, 5))

    assert ledger.bounds == [START + timedelta(seconds=1)]


def test_paging_moves_on_by_page_number_when_a_whole_page_shares_one_time():
    ledger = Ledger([50] * 25, "inclusive", "stable")

    read = [
        row["id"]
        for page in paging.changed_pages(ledger.fetch(10), lambda r: r["at"], lambda r: r["id"], None, 10)
        for row in page
    ]

    assert sorted(read) == sorted(ledger.rows)
    assert ledger.calls == 3  # pages 1, 2 and 3 from the start: no bound helps inside one second


@pytest.mark.parametrize("change_filter", FILTERS)
def test_a_record_edited_during_a_call_of_several_pages_is_caught_by_the_pages_joining(change_filter):
    """Inside one call (QuickBooks' batch), a record of the first page moves to the end before
    the second page is read: the second page no longer begins with the first page's last row,
    and the call is read again, so the record the shift would have skipped is read."""
    ledger = Ledger(list(range(0, 400, 10)), change_filter, "stable")  # 40 records, 1 s apart
    fetch = ledger.fetch(5)
    edited = []

    def fetch_pages(bound, first, count):
        pages = [fetch(bound, first)]
        if not edited and pages[0]:
            key = pages[0][0]["id"]
            ledger.rows[key] = max(ledger.rows.values()) + timedelta(seconds=1)
            edited.append(key)
        pages += [
            fetch(bound, page - 1)[-1:] + fetch(bound, page) for page in range(first + 1, first + count)
        ]
        return pages

    yielded = [
        row["id"]
        for page in paging.changed_pages(
            fetch, lambda r: r["at"], lambda r: r["id"], None, 5, fetch_pages, lambda read: 4
        )
        for row in page
    ]

    assert set(yielded) == set(ledger.rows)
    assert all(yielded.count(key) == 1 for key in set(yielded) - set(edited))
