"""Each organisation's mirror version: a number that every write to its mirror raises.

Pages that keep figures computed from the mirror (reminders/receivables/kept_figures.py) key
them on this version, so a figure kept is one computed from the mirror as it is now. The mirror
changes through more than full syncs (a webhook's event brings one invoice; the sweep a page),
so the time of the last sync is no key; every upsert in sync/mirror.py raises the version in
the same transaction as its rows, and a reader that sees the new version sees the new rows.

The version is ``token.number``: ``token`` is drawn when the organisation's row is first
written, so a database rebuilt from nothing (a test's, a restored backup's) never hands out a
version that a Redis left running still holds figures for.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import BigInteger, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from runtime.db import Base, dialect_insert


class MirrorVersion(Base):
    """How many times the organisation's mirror was written, under a token drawn at its first write."""

    __tablename__ = "mirror_versions"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(BigInteger, default=1)


def raise_version(session: Session, organisation_id: int) -> None:
    """Mark the organisation's mirror as changed, in the caller's transaction."""
    table = MirrorVersion.__table__
    statement = dialect_insert(session)(table).values(
        organisation_id=organisation_id, token=uuid.uuid4().hex, number=1
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["organisation_id"], set_={"number": table.c.number + 1}
        )
    )


def mirror_versions(session: Session, organisation_ids: Iterable[int]) -> dict[int, str]:
    """The current version of each organisation's mirror that has one (never written: none)."""
    ids = list(organisation_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(MirrorVersion.organisation_id, MirrorVersion.token, MirrorVersion.number).where(
            MirrorVersion.organisation_id.in_(ids)
        )
    )
    return {organisation_id: f"{token}.{number}" for organisation_id, token, number in rows}
