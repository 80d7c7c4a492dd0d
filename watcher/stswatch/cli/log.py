"""Logging: structlog as JSON lines (for machines) or as a console renderer (for people)."""

import logging
import sys
from typing import Literal, TextIO, cast

import orjson
import structlog

from stswatch import safe_text

LogFormat = Literal["auto", "json", "console"]


def configure_logging(
    *, log_format: LogFormat = "auto", verbosity: int = 0, stream: TextIO | None = None
) -> None:
    """Log to `stream` (stderr): info and up, debug with -v; `auto` picks console on a TTY."""
    out = stream if stream is not None else sys.stderr
    if log_format == "auto":
        log_format = "console" if out.isatty() else "json"
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(serializer=lambda o, **_: orjson.dumps(o).decode())
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    # JSON escapes for itself; the console shows a logged cluster string escaped.
    escape = [] if log_format == "json" else [_escaped]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            *escape,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if verbosity > 0 else logging.INFO
        ),
        logger_factory=structlog.PrintLoggerFactory(
            file=cast(TextIO, _ClearingLine(out)) if out.isatty() else out
        ),
        cache_logger_on_first_use=False,
    )


def _escaped(
    logger: object, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Every string value of a log line as one `safe_text` field (a traceback keeps its lines)."""
    escape = {"exception": safe_text.plain}
    return {
        k: escape.get(k, safe_text.field)(v) if isinstance(v, str) else v for k, v in event.items()
    }


class _ClearingLine:
    """On a terminal, a log line first clears the live status line it would run into."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(f"\r\x1b[K{text}" if text.strip() else text)

    def flush(self) -> None:
        self._stream.flush()
