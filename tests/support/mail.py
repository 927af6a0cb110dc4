"""A real SMTP server on loopback (aiosmtpd) that keeps every message it is given."""

from __future__ import annotations

import email
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message

from aiosmtpd.controller import Controller

Received = list[tuple[list[str], Message]]


def mailing_env(port: int, **more: str) -> dict[str, str]:
    """The variables of a server process that sends its email to the SMTP server on 127.0.0.1:`port` at once
    (`more`: other BESMART_* variables, or these changed)."""
    return {
        "BESMART_SMTP_HOST": "127.0.0.1",
        "BESMART_SMTP_PORT": str(port),
        "BESMART_SMTP_TLS": "none",
        "BESMART_SMTP_FROM": "besmart <notify@besmart.example>",
        "BESMART_SMTP_TIMEOUT": "3",
        "BESMART_EMAIL_POLL_SECONDS": "0.2",
        **more,
    }


def text_of(message: Message) -> str:
    """A message's plain text as its reader sees it: decoded from its transfer encoding (quoted-printable
    breaks a long line, a link among them, with a soft '=' line break)."""
    part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), message)
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes), f"no text in the message {message['Subject']!r}"
    return payload.decode(part.get_content_charset() or "utf-8")


class Inbox:
    """An aiosmtpd handler keeping every message it is given (pass it to `aiosmtpd.controller.Controller`)."""

    def __init__(self) -> None:
        self.messages: Received = []
        self._lock = threading.Lock()

    async def handle_DATA(self, _server, _session, envelope) -> str:  # type: ignore[no-untyped-def]
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted"

    def received(self) -> Received:
        with self._lock:
            return list(self.messages)

    def wait_until(self, done: Callable[[Received], bool], timeout: float = 15.0, then: float = 1.0) -> Received:
        """Wait until `done(received)` holds, then a while longer (nothing may arrive twice)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done(self.received()):
            time.sleep(0.05)
        time.sleep(then)
        return self.received()

    def wait_for(self, address: str, timeout: float = 15.0, then: float = 1.0) -> Received:
        """Wait until a message to `address` arrives, then a while longer."""
        return self.wait_until(lambda got: any(address in to for to, _ in got), timeout, then)


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1:`port` for the duration of the block, keeping what it is given."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()
