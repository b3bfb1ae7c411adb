"""The outbox: one row per action the planner decided (a message by one channel to one customer).

An action's ``key`` is unique within its organisation: the customer, the stage, the run of
escalation it belongs to (``cycle``), the repeat and the channel. Two planners that race, or one
run twice, both try to insert the same key and only one row exists. Its life:

    planned ─┬─> awaiting_approval ─> approved ─┐
             └──────────────────────────────────┴─> sending ─> sent | skipped | failed
                                                         └───> interrupted

``sending`` is taken by one compare-and-set (only from planned or approved), committed before the
ledger is asked and the message handed on. A send found in ``sending`` by anyone but the run that
set it was interrupted (a worker killed between handing the message to the SMTP server and
committing "sent"): whether the customer got it is unknown, so it is never sent again by itself.
It becomes ``interrupted`` and waits on the review page for a person, who can look in the sent
mail and mark it sent, or send it again. Once or not at all, never twice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime import clock
from runtime.db import Base
from runtime.tenancy import Document


class ActionStatus(StrEnum):
    PLANNED = "planned"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


# What may still go; what is finished; what a person is waiting on.
READY = (ActionStatus.PLANNED.value, ActionStatus.APPROVED.value)
PENDING = (*READY, ActionStatus.AWAITING_APPROVAL.value)
FINISHED = (ActionStatus.SENT.value, ActionStatus.SKIPPED.value, ActionStatus.FAILED.value)


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    PROMISED = "promised"  # promised a date (the promise itself: the promises issue)
    DISPUTED = "disputed"


class ReminderAction(Base):
    __tablename__ = "reminder_actions"
    __table_args__ = (
        UniqueConstraint("organisation_id", "key"),
        Index("ix_reminder_actions_customer", "customer_id", "planned_for"),
        Index("ix_reminder_actions_status", "organisation_id", "status", "planned_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(160))
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_schedules.id", ondelete="SET NULL"), default=None
    )
    stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_stages.id", ondelete="SET NULL"), default=None
    )
    stage_key: Mapped[str] = mapped_column(String(32))
    stage_name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(8))  # reminders.schedules.stages.Channel
    cycle: Mapped[str] = mapped_column(String(40))
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(5), default="en")
    planned_for: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.PLANNED.value)
    reason: Mapped[str] = mapped_column(Text, default="")  # why skipped, failed or interrupted
    # The invoices it was planned for, and those it named when it went (ledger ids).
    invoice_ledger_ids: Mapped[list[str]] = mapped_column(Document, default=list)
    sent_invoice_ledger_ids: Mapped[list[str]] = mapped_column(Document, default=list)
    # A person's edit in the review queue, used instead of the stage's message.
    edited_subject: Mapped[str | None] = mapped_column(Text, default=None)
    edited_body: Mapped[str | None] = mapped_column(Text, default=None)
    # What went: the recipient, the subject and text as rendered, the Message-ID.
    recipient: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    letter_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    sending_started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # Letters: when a person marked it posted. Call tasks: the outcome a person recorded.
    posted_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    outcome_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    extra: Mapped[dict[str, object]] = mapped_column(Document, default=dict)
