"""Keep status-link tokens out of every log line: request lines, referers, warnings, tracebacks, extras.

RedactStatusTokens sits on the log handlers (settings.LOGGING), not on loggers, because a filter on a
logger does not see the records its children pass up (django.security.csrf reaching "django"); on the
handler it sees every record that is written, whoever logged it.
"""

from __future__ import annotations

import logging
import re

STATUS_TOKEN_IN_PATH = re.compile(r"(/status/)[A-Za-z0-9_\-]{8,}")
# What every LogRecord has; anything else on a record came in through `extra=` and may be written out
# by the JSON formatter (django.request passes the request object itself).
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    return STATUS_TOKEN_IN_PATH.sub(r"\1[redacted]", text)


class RedactStatusTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            # Formatted here, once, so that no formatter prints the unredacted traceback later.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        for name, value in list(vars(record).items()):
            if name not in STANDARD_ATTRIBUTES and not isinstance(value, int | float | bool | type(None)):
                setattr(record, name, redact(str(value)))
        return True
