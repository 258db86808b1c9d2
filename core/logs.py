"""Log records without personal data, as plain lines or one JSON object per line.

The code logs ids and kinds, never a person. As a second line of defence every record is
redacted when it is formatted, whoever wrote it (Django's "Not Found: <path>", an
exception that echoes a database row, gunicorn): e-mail addresses, E.164 phone numbers,
UUIDs (lead ids) and signed link tokens are replaced by a placeholder. Names and free
text cannot be recognised by pattern; they must simply never be logged.

The settings import this module before Django is set up, and gunicorn.conf.py uses the
same formatters for gunicorn's own log.
"""

import json
import logging
import re

from django.core.exceptions import ImproperlyConfigured

_REDACTIONS = [
    (re.compile(r"[^\s@<>\"(),;:/]+@[^\s@<>\"'(),;:/]+\.[A-Za-z]{2,}"), "<email>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\b"), "<uuid>"),
    # django.core.signing output: value:timestamp:signature, base64 parts joined by ':'
    # (a path may carry the ':' percent-encoded).
    (re.compile(r"[A-Za-z0-9_\-]+(?:(?::|%3[Aa])[A-Za-z0-9_\-]+){1,3}(?=[/\s\"']|$)"), None),
    (re.compile(r"\+[1-9]\d{9,14}\b"), "<phone>"),
]
# A signed token's parts are base64 (at least 20 characters of signature); a short
# "a:b" such as a time of day or "host:port" is left alone.
_TOKEN_SIGNATURE = re.compile(r"[A-Za-z0-9_\-]{20,}$")

# Attributes every LogRecord has; anything else was passed in ``extra`` and is data.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _token_or_text(match: re.Match) -> str:
    return "<token>" if _TOKEN_SIGNATURE.search(match.group(0)) else match.group(0)


def redact(text: str) -> str:
    """``text`` with addresses, phone numbers, UUIDs and signed link tokens masked."""
    for pattern, placeholder in _REDACTIONS:
        text = pattern.sub(placeholder if placeholder is not None else _token_or_text, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A plain line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's ``extra``
    fields, and the exception when there is one; every string in it redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(_redacted(entry))


FORMATTERS = {
    "plain": {
        "()": RedactingFormatter,
        "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
    },
    "json": {"()": JsonFormatter},
}


def logging_config(*, format: str, level: str) -> dict:
    """Django's LOGGING: every record to stderr, ``format`` "plain" or "json"."""
    if format not in FORMATTERS:
        raise ImproperlyConfigured(
            f"LOG_FORMAT must be one of {', '.join(FORMATTERS)}, not {format!r}"
        )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {format: FORMATTERS[format]},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": format}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # The access log (core.middleware) says the same, with the path masked.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
        },
    }
