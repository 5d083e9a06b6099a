"""In a notebook, a failed call reads as one short paragraph instead of a 37-frame traceback.

An uncaught ``openai`` or ``dashscope`` error in a notebook cell prints every frame of the SDK's
retry and transport machinery. :func:`install` (called by ``connect()`` inside IPython) asks
IPython to show those errors — and the course's own :class:`~qwen_helpers.errors.QwenError` and
:class:`~qwen_helpers.config.ConfigError` — as the exception's line, what the course makes of it
(:func:`~qwen_helpers.errors.to_qwen_error`: kind, status, code, request id and what to do),
and how to see the full traceback (``%tb``). The exceptions themselves are unchanged: code that
catches them sees exactly what the SDK raised.
"""

from __future__ import annotations

from typing import Any

import openai
from dashscope.v2 import errors as ds2

from .config import ConfigError
from .errors import QwenError, to_qwen_error
from .messages import say

SHORTENED = (openai.APIError, ds2.DashScopeError, QwenError, ConfigError)
_context: dict[str, str] = {}


def install(note: str | None = None) -> bool:
    """Shorten the course's failures in this IPython kernel; False outside IPython.

    ``note`` (such as ``connect()``'s line about an unreachable service) is repeated under each
    connection failure, so a learner who skipped it still reads how to go on; with a note, a
    ``NameError`` (a name an earlier, failed cell never set) is explained the same way.
    """
    if note is None:
        _context.pop("note", None)
    else:
        _context["note"] = note
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc(SHORTENED + ((NameError,) if note else ()), _show)
    return True


def short_text(error: BaseException) -> list[str]:
    """The lines shown for ``error``: the exception, the course's reading, where to look."""
    package = type(error).__module__.split(".")[0]
    name = type(error).__name__ if package == "builtins" else f"{package}.{type(error).__name__}"
    first = f"{name}: {error}"
    lines = [first if len(first) <= 400 else first[:397] + "…"]
    if isinstance(error, ConfigError):
        return lines
    if isinstance(error, NameError):
        return [*lines, say("notebook.earlier_cell_failed", note=_context.get("note", ""))]
    reading = error if isinstance(error, QwenError) else to_qwen_error(error)
    if not isinstance(error, QwenError):
        lines.append(say("notebook.what_it_means", reading=reading))
    if reading.kind in ("connection", "timeout") and _context.get("note"):
        lines.append(_context["note"])
    return lines


def _show(shell: Any, etype: type, value: BaseException, tb: Any,
          tb_offset: int | None = None) -> list[str]:
    """IPython's custom-exception hook: show the short text as the cell's error output."""
    lines = [*short_text(value), say("notebook.full_traceback")]
    red, plain = "\x1b[0;31m", "\x1b[0m"
    structured = [f"{red}{lines[0]}{plain}", *lines[1:]]
    shell._showtraceback(etype, value, structured)  # an error output, as a traceback would be
    return structured
