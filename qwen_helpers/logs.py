"""One JSON line per request attempt, on the standard ``logging`` module, with no key in it.

A line holds the time (UTC), request id, model, status, latency, tokens, attempt number and, for a
failure, the error's kind, code and message::

    {"time": "2026-11-24T02:00:00.123Z", "level": "INFO", "message": "qwen-plus 200 in 0.412 s",
     "request_id": "3f2a…", "model": "qwen-plus", "status": 200, "latency": 0.412,
     "input_tokens": 12, "output_tokens": 7, "cached_tokens": 0, "attempt": 1}

Only the fields in :data:`REQUEST_FIELDS` are written, so a header dictionary passed along never
reaches the file. As a safety net every string is redacted before it is written: anything shaped
like a key (``sk-…``) or an ``Authorization`` value (``Bearer …``) is masked with ``mask_key``.

To log into an application's own set-up, give ``RequestLogger`` its logger and put
:class:`JsonLineFormatter` on the handler that should write JSON lines.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from .config import mask_key
from .messages import say
from .usage import read_call, read_usage

REQUEST_FIELDS = ("request_id", "model", "status", "latency", "input_tokens", "output_tokens",
                  "cached_tokens", "attempt", "cached", "error_kind", "error_code",
                  "error_message")
"""The ``extra`` fields a line carries; anything else on a record is left out."""
_BEARER = re.compile(r"Bearer\s+\S+", re.IGNORECASE)
_KEY = re.compile(r"sk-[A-Za-z0-9_-]{8,}")
"""The brief's ``sk-[A-Za-z0-9]{8,}``, widened to the key alphabet config accepts (``_``, ``-``)."""


def redact(text: str) -> str:
    """The text with key-shaped strings and ``Bearer`` values masked: ``sk-ab…89``."""
    text = _BEARER.sub(lambda m: "Bearer " + mask_key(m.group().split(None, 1)[1]), text)
    return _KEY.sub(lambda m: mask_key(m.group()), text)


def _redact_all(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): _redact_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_all(v) for v in value]
    return value


class JsonLineFormatter(logging.Formatter):
    """A log record as one JSON object on one line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, tz=timezone.utc)
        data: dict[str, Any] = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname, "message": record.getMessage(),
        }
        data.update({name: getattr(record, name) for name in REQUEST_FIELDS
                     if getattr(record, name, None) is not None})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(_redact_all(data), ensure_ascii=False, default=lambda v: redact(str(v)))


def json_lines_handler(target: str | Path | TextIO) -> logging.Handler:
    """A handler writing JSON lines to a file path (appended) or an open text stream."""
    if isinstance(target, (str, Path)):
        handler: logging.Handler = logging.FileHandler(target, encoding="utf-8", delay=True)
    else:
        handler = logging.StreamHandler(target)
    handler.setFormatter(JsonLineFormatter())
    return handler


class RequestLogger:
    """Writes one line per request attempt from whatever the SDK returned or raised."""

    def __init__(self, target: str | Path | TextIO | None = None, *,
                 logger: logging.Logger | None = None) -> None:
        if target is not None and logger is not None:
            raise ValueError(say("logs.target_and_logger"))
        self._handler: logging.Handler | None = None
        if target is not None:
            # A logger of its own, outside the logging tree: lines go to the target only.
            self.logger = logging.Logger("qwen_helpers.requests", logging.INFO)
            self._handler = json_lines_handler(target)
            self.logger.addHandler(self._handler)
        else:
            self.logger = logger or logging.getLogger("qwen_helpers.requests")

    def log(self, outcome: Any, *, model: str | None = None, latency: float | None = None,
            attempt: int = 1, cached: bool = False) -> dict[str, Any]:
        """Log a response, an error response or an exception; returns the fields written."""
        facts = read_call(outcome)
        usage = None if facts["failed"] else read_usage(outcome)
        fields: dict[str, Any] = {
            "request_id": facts["request_id"], "model": model or facts["model"],
            "status": facts["status"], "attempt": attempt, "cached": cached or None,
            "latency": None if latency is None else round(latency, 3),
        }
        if usage is not None:
            fields.update(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                          cached_tokens=usage.cached_tokens)
        if facts["failed"]:
            fields.update(error_kind=facts["kind"], error_code=facts["code"],
                          error_message=redact(_message(outcome))[:500])
        timing = "" if latency is None else f" in {latency:.3f} s"
        what = (facts["code"] or facts["kind"]) if facts["failed"] else ""
        message = " ".join(str(p) for p in (fields["model"], facts["status"], what) if p)
        level = logging.WARNING if facts["failed"] else logging.INFO
        self.logger.log(level, message + timing, extra=fields)
        return {k: v for k, v in fields.items() if v is not None}

    def close(self) -> None:
        """Close the file this logger opened (nothing to do for an application's logger)."""
        if self._handler is not None:
            self.logger.removeHandler(self._handler)
            self._handler.close()
            self._handler = None


def _message(outcome: Any) -> str:
    if isinstance(outcome, BaseException):
        return str(outcome)
    if isinstance(outcome, dict):
        error = outcome.get("error")
        return str((error.get("message") if isinstance(error, dict) else None)
                   or outcome.get("message") or "")
    return str(getattr(outcome, "message", None) or "")
