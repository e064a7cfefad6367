"""Structured logs: one JSON object per line, with secrets masked.

Fields passed with ``extra=`` become keys. Any key that looks like a credential is
replaced by ``***`` and ``Secret:``/``Key:`` values inside logged AMI text are masked,
so a debug dump of a Login action cannot leak the manager password.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time

_SECRET_KEYS = re.compile(r"(secret|password|passwd|token|key|cookie|authorization)", re.I)
_SECRET_TEXT = re.compile(r"(?im)^(\s*(?:Secret|Key|Password)\s*:\s*)(\S+)")
_STD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def mask(text: str) -> str:
    return _SECRET_TEXT.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key in _STD or key.startswith("_"):
                continue
            out[key] = (
                "***"
                if _SECRET_KEYS.search(key)
                else (mask(value) if isinstance(value, str) else value)
            )
        if record.exc_info:
            out["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", stream: object = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.Formatter.converter = time.gmtime
