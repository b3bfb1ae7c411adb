"""Sending email through the SMTP server named by SMTP_URL.

``smtp://host:port`` sends in the clear (a local mailbox in development), ``smtp+starttls://``
upgrades with STARTTLS and refuses a server that cannot, ``smtps://`` speaks TLS from the
start. A user and password in the URL log in. Failures raise, so the job that sends is retried.

Every message carries the headers RFC 5322 (section 3.6) asks of it: ``Date``, from the clock so
that a demo or test on another day dates its mail that day, and a ``Message-ID`` whose right-hand
side is the host of PUBLIC_URL, a domain Relance's operator owns, which keeps the id unique across
deployments and does not look forged to spam filters.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

from runtime import clock
from runtime.logs import get_logger
from runtime.settings import ConfigurationError, get_settings

log = get_logger(__name__)
TIMEOUT = 30


def compose(to: list[str], subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A message from MAIL_FROM to ``to``: plain text, and an HTML alternative if given."""
    message = EmailMessage()
    message["From"] = get_settings().mail_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    _date_and_identify(message)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def message_id_domain(public_url: str) -> str:
    """The host of PUBLIC_URL, for the right-hand side of Message-IDs."""
    return urlsplit(public_url).hostname or "localhost"


def _date_and_identify(message: EmailMessage) -> None:
    """Give the message the Date and Message-ID it lacks."""
    if message["Date"] is None:
        message["Date"] = format_datetime(clock.now())
    if message["Message-ID"] is None:
        message["Message-ID"] = make_msgid(domain=message_id_domain(get_settings().external_url))


def send(message: EmailMessage) -> None:
    """Hand the message to the SMTP server, dated and identified if whoever built it did not."""
    _date_and_identify(message)
    url = urlsplit(get_settings().smtp_url)
    host, port = url.hostname or "127.0.0.1", url.port
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port or 465, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    elif url.scheme in ("smtp", "smtp+starttls"):
        client = smtplib.SMTP(host, port or 25, timeout=TIMEOUT)
    else:
        raise ConfigurationError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    with client:
        if url.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)
    log.info("mail.sent", subject=message["Subject"], recipients=len(message["To"].split(",")))
