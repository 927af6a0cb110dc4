"""The email worker: sends queued email jobs through SMTP, with retries and exponential backoff.

A background thread in each server process claims due jobs — `SELECT ... FOR UPDATE SKIP LOCKED` on
PostgreSQL, so processes never claim the same job; a single UPDATE on SQLite — for a lease, sends them and
marks each sent in its own transaction as soon as the SMTP server has accepted it. A mail server that is
down only delays mail: the job goes back to pending with a later attempt time (never given up on); only a
permanent refusal (5xx, e.g. an unknown recipient) fails a job. If the process dies between the SMTP
server's acceptance and the mark, the job is sent again when its lease expires — with the same Message-ID,
fixed when the job was made, so mail systems can tell the copy. A job may carry one PDF attachment (the
written report to parents, `server.services.parent_email`), dropped from the job once it is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import select, update

from server.core.config import Settings
from server.db import Database
from server.models import EmailJob
from server.services.records import utcnow

log = logging.getLogger("besmart.server.mail")

EMAIL = EmailJob.__table__
CLAIM_BATCH = 20


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Delay before the next try after `attempts` failed ones: base, 2×base, 4×base ... up to the cap."""
    return min(settings.email_backoff_max_seconds, settings.email_backoff_seconds * 2 ** max(0, attempts - 1))


def _message(settings: Settings, job: Any) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp.from_address
    message["To"] = job.to_address
    message["Subject"] = job.subject
    message["Message-ID"] = job.message_id
    message["Date"] = format_datetime(utcnow())
    message.set_content(job.body)
    if job.attachment is not None:
        name = job.attachment_name or "attachment.pdf"
        message.add_attachment(job.attachment, maintype="application", subtype="pdf", filename=name)
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    smtp = settings.smtp
    if smtp.tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        if smtp.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
    if smtp.username:
        client.login(smtp.username, smtp.password)
    return client


def _permanent(error: Exception) -> bool:
    """A refusal that trying again will not change (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500 and not isinstance(error, smtplib.SMTPServerDisconnected)


class EmailWorker:
    """Sends due email jobs every `email_poll_seconds` until stopped."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="besmart-email", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look for due jobs now (e.g. right after a push queued some)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once() > 0
            except Exception as error:
                log.warning("email worker: %s", type(error).__name__)
                busy = False
            if not busy:
                self._wake.wait(self.settings.email_poll_seconds)
                self._wake.clear()

    def claim(self, limit: int = CLAIM_BATCH) -> tuple[str, list[Any]]:
        """Claim due jobs (pending and due, or claimed by a worker whose lease ran out)."""
        token = secrets.token_hex(16)

        def work(session: Any) -> list[Any]:
            now = utcnow()
            due = (
                select(EMAIL.c.id)
                .where(
                    ((EMAIL.c.status == "pending") & (EMAIL.c.next_attempt_at <= now))
                    | ((EMAIL.c.status == "sending") & (EMAIL.c.claimed_until < now))
                )
                .order_by(EMAIL.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            lease = now + dt.timedelta(seconds=self.settings.email_lease_seconds)
            claimed = session.execute(
                update(EMAIL)
                .where(EMAIL.c.id.in_(due.scalar_subquery()))
                .values(status="sending", claim_token=token, claimed_until=lease, attempts=EMAIL.c.attempts + 1)
                .returning(
                    EMAIL.c.id,
                    EMAIL.c.to_address,
                    EMAIL.c.subject,
                    EMAIL.c.body,
                    EMAIL.c.message_id,
                    EMAIL.c.attempts,
                    EMAIL.c.attachment,
                    EMAIL.c.attachment_name,
                )
            )
            return sorted(claimed, key=lambda job: job.id)

        return token, self.db.run(work)

    def _finish(self, job: Any, token: str, **values: Any) -> None:
        self.db.run(
            lambda session: session.execute(
                update(EMAIL).where(EMAIL.c.id == job.id, EMAIL.c.claim_token == token).values(**values)
            )
        )

    def run_once(self) -> int:
        """Claim and send what is due; returns how many jobs were handled."""
        token, jobs = self.claim()
        if not jobs:
            return 0
        client: smtplib.SMTP | None = None
        try:
            for job in jobs:
                try:
                    if client is None:
                        client = _connect(self.settings)
                    client.send_message(_message(self.settings, job))
                except (smtplib.SMTPException, OSError) as error:
                    self._failed(job, token, error)
                    if not _permanent(error):
                        _close(client)
                        client = None
                    continue
                # A sent attachment (a child's letter) is not kept on the server any longer than needed.
                self._finish(
                    job, token, status="sent", sent_at=utcnow(), claim_token=None, last_error="", attachment=None
                )
        finally:
            _close(client)
        return len(jobs)

    def _failed(self, job: Any, token: str, error: Exception) -> None:
        detail = f"{type(error).__name__}: {str(error)[:300]}"
        if _permanent(error):
            log.warning("email job %s refused for good (%s)", job.id, type(error).__name__)
            self._finish(job, token, status="failed", last_error=detail, claim_token=None)
            return
        delay = backoff_seconds(self.settings, job.attempts)
        log.info(
            "email job %s: attempt %s failed (%s); next in %.1fs", job.id, job.attempts, type(error).__name__, delay
        )
        self._finish(
            job,
            token,
            status="pending",
            last_error=detail,
            claim_token=None,
            next_attempt_at=utcnow() + dt.timedelta(seconds=delay),
        )


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
