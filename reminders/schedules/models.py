"""What an organisation's reminder schedules are, as kept: schedules, their stages, each customer's
chasing choices, and the days the planner ran.

A schedule belongs to one organisation. An accountant who keeps a schedule for the whole practice
applies it to client organisations as a copy (``copied_from_id`` says from which): each client's
copy can then differ (a client's own tone, a sender's name) without touching the others, and a
change made at the practice is applied again on purpose, never behind a client's back.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reminders.schedules.stages import Anchor, Channel, Message, ScheduleSpec, StageSpec
from runtime import clock
from runtime.db import Base
from runtime.tenancy import Document


class Schedule(Base):
    """A named, ordered list of stages. ``segments`` and ``risk_classes`` say which customers it is
    for (empty: any); the first schedule by ``position`` that matches a customer is theirs, unless a
    person chose one for the customer; the organisation's default (``is_default``) catches the rest."""

    __tablename__ = "reminder_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(32), default="")  # "default" for the shipped schedule
    name: Mapped[str] = mapped_column(String(100))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    minimum_gap_days: Mapped[int] = mapped_column(Integer, default=3)
    segments: Mapped[list[str]] = mapped_column(Document, default=list)  # "large" | "small"
    risk_classes: Mapped[list[int]] = mapped_column(Document, default=list)  # reminders.risk.RiskClass
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_schedules.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="schedule", order_by="Stage.position", cascade="all, delete-orphan"
    )

    def matches(self, segment: str | None, risk: int | None) -> bool:
        return (not self.segments or segment in self.segments) and (
            not self.risk_classes or risk in self.risk_classes
        )


class Stage(Base):
    """One stage of a schedule: the columns of ``StageSpec``."""

    __tablename__ = "reminder_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_schedules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(32))
    names: Mapped[dict[str, str]] = mapped_column(Document, default=dict)
    anchor: Mapped[str] = mapped_column(String(16))
    days: Mapped[int] = mapped_column(Integer)
    until_days: Mapped[int | None] = mapped_column(Integer, default=None)
    repeat_every: Mapped[int | None] = mapped_column(Integer, default=None)
    repeat_times: Mapped[int] = mapped_column(Integer, default=0)
    channels: Mapped[list[str]] = mapped_column(Document, default=list)
    # {"en": {"subject": …, "body": …}, "fr": {…}}
    messages: Mapped[dict[str, dict[str, str]]] = mapped_column(Document, default=dict)
    talking_points: Mapped[dict[str, str]] = mapped_column(Document, default=dict)
    attach_statement: Mapped[bool] = mapped_column(Boolean, default=False)
    attach_invoices: Mapped[bool] = mapped_column(Boolean, default=False)
    min_overdue: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    large_accounts_call: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_days: Mapped[int | None] = mapped_column(Integer, default=None)

    schedule: Mapped[Schedule] = relationship(back_populates="stages")

    def spec(self) -> StageSpec:
        return StageSpec(
            key=self.key,
            names=dict(self.names),
            anchor=Anchor(self.anchor),
            days=self.days,
            channels=tuple(Channel(channel) for channel in self.channels),
            messages={
                language: Message(message.get("subject", ""), message.get("body", ""))
                for language, message in self.messages.items()
            },
            talking_points=dict(self.talking_points),
            until_days=self.until_days,
            repeat_every=self.repeat_every,
            repeat_times=self.repeat_times,
            attach_statement=self.attach_statement,
            attach_invoices=self.attach_invoices,
            min_overdue=self.min_overdue,
            needs_approval=self.needs_approval,
            large_accounts_call=self.large_accounts_call,
            deadline_days=self.deadline_days,
        )

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.key


def stage_columns(spec: StageSpec) -> dict[str, Any]:
    """A stage's columns from its plain values."""
    return {
        "key": spec.key,
        "names": dict(spec.names),
        "anchor": spec.anchor.value,
        "days": spec.days,
        "until_days": spec.until_days,
        "repeat_every": spec.repeat_every,
        "repeat_times": spec.repeat_times,
        "channels": [channel.value for channel in spec.channels],
        "messages": {
            language: {"subject": message.subject, "body": message.body}
            for language, message in spec.messages.items()
        },
        "talking_points": dict(spec.talking_points),
        "attach_statement": spec.attach_statement,
        "attach_invoices": spec.attach_invoices,
        "min_overdue": spec.min_overdue,
        "needs_approval": spec.needs_approval,
        "large_accounts_call": spec.large_accounts_call,
        "deadline_days": spec.deadline_days,
    }


def schedule_from(spec: ScheduleSpec, organisation_id: int, language: str, **columns: Any) -> Schedule:
    """A new schedule for ``organisation_id`` made from plain values (named in ``language``)."""
    schedule = Schedule(
        organisation_id=organisation_id,
        key=spec.key,
        name=spec.names.get(language) or spec.names.get("en") or spec.key,
        minimum_gap_days=spec.minimum_gap_days,
        segments=[],
        risk_classes=[],
        **columns,
    )
    schedule.stages = [
        Stage(position=index, **stage_columns(stage)) for index, stage in enumerate(spec.stages)
    ]
    return schedule


class CustomerChasing(Base):
    """What a person chose for one customer's reminders: a schedule of its own, "do not chase",
    a pause until a date, the language its messages are written in. No row: the defaults."""

    __tablename__ = "customer_chasing"
    __table_args__ = (UniqueConstraint("customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_schedules.id", ondelete="SET NULL"), default=None
    )
    do_not_chase: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[date | None] = mapped_column(Date, default=None)  # chasing resumes this day
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The person who looks after this customer: told of its holds, disputes and broken promises.
    account_manager_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    set_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class PlannerRun(Base):
    """The planner's run for one organisation on one of its days: at most one (the unique key is
    what lets two schedulers, or two workers, race for it and only one plan)."""

    __tablename__ = "planner_runs"
    __table_args__ = (UniqueConstraint("organisation_id", "planned_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    planned_on: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    planned: Mapped[int] = mapped_column(Integer, default=0)
