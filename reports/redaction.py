"""Keep status-link tokens out of every log line (request lines, 404 warnings, tracebacks)."""

from __future__ import annotations

import logging
import re

STATUS_TOKEN_IN_PATH = re.compile(r"(/status/)[A-Za-z0-9_\-]{8,}")


def redact(text: str) -> str:
    return STATUS_TOKEN_IN_PATH.sub(r"\1[redacted]", text)


class RedactStatusTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
