"""The message catalog, one module per area; :mod:`qwen_helpers.messages` reads it."""

from __future__ import annotations

from . import errors, exercises, retry, setup, tools, widgets

CATALOG: dict[str, dict[str, str]] = {}
for _area in (setup, errors, exercises, retry, tools, widgets):
    _overlap = CATALOG.keys() & _area.MESSAGES.keys()
    if _overlap:
        raise RuntimeError(f"message keys defined twice: {sorted(_overlap)}")
    CATALOG.update(_area.MESSAGES)
