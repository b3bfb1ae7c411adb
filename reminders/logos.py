"""An organisation's logo: checked by what its bytes are, kept in the database, read by the pages,
the reminders and the PDFs that show it.

A logo is a PNG or a JPEG of at most 200 KB (MAX_LOGO_BYTES). What it is comes from its content,
never from its file name or the type the browser sent: the first bytes must be PNG's or JPEG's
signature, and Pillow must read the whole image as that format. Its size in pixels is bounded
too, so that a small file that unpacks to a huge picture (a "decompression bomb") is refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from reminders.models import MAX_LOGO_BYTES, OrganisationLogo
from runtime import clock

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
LARGEST_SIDE = 4000  # pixels: more than any letterhead needs


class NotALogo(ValueError):
    """What was uploaded cannot be a logo. ``reason`` says why, as a word the pages translate
    (empty, too_large, not_an_image, too_many_pixels, unreadable), with its figures in ``details``."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason, details)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class CheckedLogo:
    content_type: str
    width: int
    height: int
    image: bytes


def check_logo(data: bytes) -> CheckedLogo:
    """``data`` as a logo, or NotALogo saying what is wrong with it."""
    if not data:
        raise NotALogo("empty")
    if len(data) > MAX_LOGO_BYTES:
        raise NotALogo("too_large", size_kb=-(-len(data) // 1024), largest_kb=MAX_LOGO_BYTES // 1024)
    expected = (
        "PNG" if data.startswith(PNG_SIGNATURE) else "JPEG" if data.startswith(JPEG_SIGNATURE) else None
    )
    if expected is None:
        raise NotALogo("not_an_image")
    try:
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            width, height = image.size
            image.verify()  # reads the whole file: a truncated or corrupt image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise NotALogo("unreadable", format=expected) from error
    if width > LARGEST_SIDE or height > LARGEST_SIDE:
        raise NotALogo("too_many_pixels", width=width, height=height, largest=LARGEST_SIDE)
    return CheckedLogo(CONTENT_TYPES[expected], width, height, data)


def logo_of(session: Session, organisation_id: int) -> OrganisationLogo | None:
    """The organisation's logo, if it has one."""
    return session.get(OrganisationLogo, organisation_id)


def keep_logo(session: Session, organisation_id: int, logo: CheckedLogo) -> OrganisationLogo:
    """Make ``logo`` the organisation's logo (replacing the one it had)."""
    kept = logo_of(session, organisation_id) or OrganisationLogo(organisation_id=organisation_id)
    kept.content_type, kept.width, kept.height, kept.image = (
        logo.content_type,
        logo.width,
        logo.height,
        logo.image,
    )
    kept.uploaded_at = clock.now()
    session.add(kept)
    return kept


def remove_logo(session: Session, organisation_id: int) -> bool:
    """Take the organisation's logo away; whether it had one."""
    kept = logo_of(session, organisation_id)
    if kept is None:
        return False
    session.delete(kept)
    return True
