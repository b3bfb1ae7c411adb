"""What a stage of a reminder schedule says, as plain values: the planner, the editor and the
default schedule all speak this.

A stage says when it is due, by which channels, with which message per language. Three anchors:

- ``before_due``: a friendly note on each invoice ``days`` before its due date. It belongs to the
  invoice: each new invoice gets its own, and the invoices of one customer coming due in the same
  run go in one message.
- ``after_due``: the escalation, which is the customer's and not each invoice's: due when the
  customer's oldest unpaid invoice is ``days`` past due, and until it is ``until_days`` past due
  (the stage's window; None: no end). Windows may overlap: a twice-weekly email and a weekly call
  task run side by side from day 31.
- ``after_previous``: ``days`` after the previous stage of the schedule first went to the customer
  in the same run of escalation.

A stage repeats every ``repeat_every`` days, ``repeat_times`` more times, while its window lasts.
The planner catches a missed day up (a stage is due from its day on, not on its day only), so a
day the scheduler did not run is made up once the next day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Anchor(StrEnum):
    BEFORE_DUE = "before_due"
    AFTER_DUE = "after_due"
    AFTER_PREVIOUS = "after_previous"


class Channel(StrEnum):
    EMAIL = "email"
    LETTER = "letter"  # a PDF to the postal address, in the day's print batch
    CALL = "call"  # a task for a person: the phone number, what is owed, what to say

    @property
    def reaches_customer(self) -> bool:
        """Whether the customer receives it (the minimum gap between messages counts these)."""
        return self is not Channel.CALL


@dataclass(frozen=True)
class Message:
    """A message in one language: the subject and body a person can edit (Jinja, sandboxed)."""

    subject: str
    body: str


@dataclass(frozen=True)
class StageSpec:
    key: str  # stable within its schedule ("friendly", "inquiry", …)
    names: dict[str, str]  # by language
    anchor: Anchor
    days: int
    channels: tuple[Channel, ...]
    messages: dict[str, Message]  # by language, for email and letter
    talking_points: dict[str, str] = field(default_factory=dict)  # by language, for call tasks
    until_days: int | None = None
    repeat_every: int | None = None
    repeat_times: int = 0
    attach_statement: bool = False
    # Each invoice's online invoice (the ledger's payment page) linked in the message.
    attach_invoices: bool = False
    # In the organisation's base currency: below this overdue balance the stage does not go.
    min_overdue: Decimal = Decimal("0")
    needs_approval: bool = False
    # before_due only: customers in the "large" segment get a call task instead of the email.
    large_accounts_call: bool = False
    # The customer is asked to pay within this many days (the ``deadline`` placeholder).
    deadline_days: int | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    key: str
    names: dict[str, str]
    stages: tuple[StageSpec, ...]
    # No two messages to one customer within this many days (call tasks do not count).
    minimum_gap_days: int = 3
