"""Server logging that cannot be forged: values from requests are escaped before they reach a log line.

A request path such as `/records/x%0A2026-01-01 ERROR ...` decodes to text with a line break in it; logged
as sent, it would write a second, made-up log line. `escape` turns every control character into a visible
escape (`\\n`, `\\x1b`), and `SafeFormatter` applies it to every message, so one event is one line.
"""

from __future__ import annotations

import logging

#: control characters (C0, DEL, C1) and the Unicode line and paragraph separators, each shown as an escape
_ESCAPES = {
    code: ("\\n" if code == 10 else "\\r" if code == 13 else "\\t" if code == 9 else f"\\x{code:02x}")
    for code in (*range(0x20), *range(0x7F, 0xA0))
}
_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def escape(value: object) -> str:
    """`value` as one printable line: control characters escaped. Backslashes are left as they are, so
    escaping twice (a value escaped for its log call, then by `SafeFormatter`) changes nothing more."""
    return str(value).translate(_ESCAPES)


class SafeFormatter(logging.Formatter):
    """Escapes the message of each record (a traceback, added by the formatter itself, keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(record.message)
        return super().formatMessage(record)


def configure_logging(level: str) -> None:
    """Log to stderr at `level`, every message escaped."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(LOG_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
