"""The simulated customers' mailboxes: an SMTP server beside the sandboxes that receives what
Relance sends to their addresses, kept per recipient until the customer reads it.

A real SMTP server (aiosmtpd, on a loopback port): Relance hands its reminders to it exactly as
to a business's mail provider. Each message is filed under every envelope recipient, lower-cased,
stamped with the sandbox clock's instant when it arrived; ``read`` hands a customer what arrived
since they last looked, oldest first, and forgets it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message in a customer's mailbox."""

    arrived_at: datetime
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str:
        """The plain-text body (what a customer reads; the HTML alternative says the same)."""
        body = self.message.get_body(("plain",))
        return body.get_content() if body is not None else ""


class _Handler:
    def __init__(self, boxes: CustomerMailboxes) -> None:
        self.boxes = boxes

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.boxes.deliver(list(envelope.rcpt_tos), message)
        return "250 OK"


class CustomerMailboxes:
    """Every simulated customer's inbox, served over SMTP on ``port`` (0: a free one)."""

    def __init__(self, now: Callable[[], datetime], port: int = 0) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._boxes: dict[str, list[Received]] = defaultdict(list)
        self.delivered = 0
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=port or _free_port())

    @property
    def url(self) -> str:
        """Where Relance sends (its SMTP_URL)."""
        return f"smtp://127.0.0.1:{self._controller.port}"

    def start(self) -> CustomerMailboxes:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def deliver(self, recipients: list[str], message: EmailMessage) -> None:
        received = Received(self._now(), message)
        with self._lock:
            self.delivered += 1
            for address in recipients:
                self._boxes[address.strip().lower()].append(received)

    def read(self, address: str) -> list[Received]:
        """What arrived for ``address`` since it was last read, oldest first; taken from the box."""
        with self._lock:
            return self._boxes.pop(address.strip().lower(), [])

    def waiting(self) -> int:
        with self._lock:
            return sum(len(box) for box in self._boxes.values())


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
