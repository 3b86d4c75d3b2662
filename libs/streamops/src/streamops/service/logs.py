"""The one log format of every service: text lines, or JSON lines with the same fields."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from streamops.service.settings import LogSettings

#: Every text log line: ``2026-05-01 12:00:00,250 INFO streamops.service starting``.
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Loggers that say too much at INFO: the registry client logs every HTTP request.
_CHATTY = ("httpx", "httpx2", "httpcore")


class JsonLines(logging.Formatter):
    """One JSON object a line: ``time`` (ISO-8601, UTC), ``level``, ``logger``, ``message``,
    and ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(settings: LogSettings) -> logging.Formatter:
    """The formatter of ``settings.format``."""
    return JsonLines() if settings.format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(settings: LogSettings) -> None:
    """Write every log record to stderr in the one format, at ``settings.level``.

    When the root logger already has handlers (a test runner, an application embedding
    the service) they are left alone: whoever installed them owns the output.
    """
    root = logging.getLogger()
    root.setLevel(settings.level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter(settings))
        root.addHandler(handler)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
