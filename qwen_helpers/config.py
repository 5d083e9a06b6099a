"""Settings: which mode, which region, which key — and how a key may be shown."""

from __future__ import annotations


def mask_key(key: str | None) -> str:
    """A key as it may be shown anywhere: ``sk-ab…89``, or ``(none)``; never more."""
    if not key:
        return "(none)"
    key = key.strip()
    if len(key) < 12:
        return "…"
    return f"{key[:5]}…{key[-2:]}"
