"""The message catalog, one module per area; :mod:`qwen_helpers.messages` reads it."""

from __future__ import annotations

from . import exercises, retry, setup

CATALOG: dict[str, dict[str, str]] = {}
for _area in (setup, exercises, retry):
    _overlap = CATALOG.keys() & _area.MESSAGES.keys()
    if _overlap:
        raise RuntimeError(f"message keys defined twice: {sorted(_overlap)}")
    CATALOG.update(_area.MESSAGES)
