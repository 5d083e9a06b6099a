"""``X-Mock-Pace``: one request asks the mock for its own timing (a chat demo that types).

``X-Mock-Pace: ttft=0.4,tps=30`` answers that request with its first token after 0.4 s and 30
tokens a second after that, whatever the mock's configured ``ttft`` and ``tokens_per_second``.
Either part may be left out. A mock-only control header, like ``X-Mock-Scenario``: the real
service has nothing like it, so :func:`qwen_helpers.connect.mock_pace` sends it in mock mode only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .scenarios import MAX_STALL_SECONDS

HEADER = "X-Mock-Pace"
ALLOWED = (f"{HEADER} takes ttft=SECONDS and/or tps=TOKENS_PER_SECOND, comma-separated, e.g. "
           f"'ttft=0.4,tps=30' (ttft 0 to {MAX_STALL_SECONDS:g}, tps above 0)")


@dataclass(frozen=True)
class Pace:
    """Seconds to the first token, then tokens per second."""

    ttft: float
    tokens_per_second: float


def parse(value: str | None, default: Pace) -> Pace:
    """The pace a request asks for (``default`` for parts it leaves out); ValueError if bad."""
    if value is None:
        return default
    found: dict[str, float] = {}
    for part in value.split(","):
        name, sep, raw = part.strip().partition("=")
        try:
            number = float(raw) if sep else math.nan
        except ValueError:
            number = math.nan
        if name not in ("ttft", "tps") or name in found or not math.isfinite(number):
            raise ValueError(f"{part.strip()[:40]!r} is not understood. {ALLOWED}")
        found[name] = number
    pace = Pace(found.get("ttft", default.ttft), found.get("tps", default.tokens_per_second))
    if not 0 <= pace.ttft <= MAX_STALL_SECONDS or pace.tokens_per_second <= 0:
        raise ValueError(f"{value[:40]!r} is out of range. {ALLOWED}")
    return pace
