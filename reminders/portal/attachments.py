"""A file a customer attaches to a dispute in the portal: a photo of the damaged goods, the
delivery note, the order that says otherwise.

Only PDF, PNG and JPEG are taken, recognised by their bytes' signature (never by the name or the
type the browser claims), up to ``LARGEST_FILE``. The team downloads it from the dispute's page in
the staff app, as an attachment (never shown inline), so a file that claims to be one thing and is
another is never run by a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from runtime import clock
from runtime.db import Base

LARGEST_FILE = 5 * 1024 * 1024  # a phone's photo; the request may carry the form besides it
SIGNATURES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
}


class DisputeAttachment(Base):
    __tablename__ = "dispute_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)


class NotAFileWeTake(ValueError):
    """Not a PDF, PNG or JPEG, empty, or too large (``reason``: "type", "empty", "size")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def check_file(filename: str, data: bytes) -> CheckedFile:
    """The file if it is one we take, named safely (its extension from its bytes)."""
    if not data:
        raise NotAFileWeTake("empty")
    if len(data) > LARGEST_FILE:
        raise NotAFileWeTake("size")
    for signature, (content_type, extension) in SIGNATURES.items():
        if data.startswith(signature):
            stem = "".join(c for c in filename.rsplit(".", 1)[0] if c.isalnum() or c in "-_ ")[:80].strip()
            return CheckedFile(f"{stem or 'attachment'}.{extension}", content_type, data)
    raise NotAFileWeTake("type")


def attach(
    session: Session, dispute_id: int, organisation_id: int, checked: CheckedFile
) -> DisputeAttachment:
    """Keep ``checked`` with the dispute (the caller commits)."""
    kept = DisputeAttachment(
        dispute_id=dispute_id,
        organisation_id=organisation_id,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
        data=checked.data,
        uploaded_at=clock.now(),
    )
    session.add(kept)
    session.flush()
    return kept


def attachments_of(session: Session, organisation_id: int, dispute_id: int) -> list[DisputeAttachment]:
    """The dispute's files (their bytes are loaded only when read), oldest first."""
    return list(
        session.scalars(
            select(DisputeAttachment)
            .where(
                DisputeAttachment.organisation_id == organisation_id,
                DisputeAttachment.dispute_id == dispute_id,
            )
            .order_by(DisputeAttachment.id)
        )
    )
