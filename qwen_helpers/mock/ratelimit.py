"""Requests-per-minute and tokens-per-minute budgets, per key and model, as the service keeps them.

The real limits are per model and per account (reference §8.1); the mock keeps them per key,
since each teaching key stands for an account. A request over the RPM budget gets 429
``Throttling.RateQuota``; one whose tokens (input and output of the last minute plus this
request's input) go over the TPM budget gets 429 ``Throttling.AllocationQuota``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Sliding-window RPM and TPM accounting."""

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._events: dict[tuple[str, str], deque[tuple[float, int]]] = {}

    def check(self, key: str, model: str, input_tokens: int, rpm: int, tpm: int) -> str | None:
        """The catalogue code to answer with, or None and the request is counted."""
        now = self._clock()
        with self._lock:
            events = self._events.setdefault((key, model), deque())
            while events and events[0][0] <= now - self.window:
                events.popleft()
            if len(events) >= rpm:
                return "Throttling.RateQuota"
            if sum(tokens for _, tokens in events) + input_tokens > tpm:
                return "Throttling.AllocationQuota"
            events.append((now, input_tokens))
            return None

    def add_output(self, key: str, model: str, output_tokens: int) -> None:
        """Charge the tokens an answer produced to the current minute."""
        with self._lock:
            events = self._events.get((key, model))
            if events:
                stamp, tokens = events[-1]
                events[-1] = (stamp, tokens + output_tokens)

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
