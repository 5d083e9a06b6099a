"""Requests-per-minute and tokens-per-minute budgets, per key and model, as the service keeps them.

The real limits are per model and per account (docs/sources.md §8.1); the mock keeps them per key,
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
        self._windows: dict[tuple[str, str], _Window] = {}

    def check(self, key: str, model: str, input_tokens: int, rpm: int, tpm: int) -> str | None:
        """The catalogue code to answer with, or None and the request is counted."""
        now = self._clock()
        with self._lock:
            window = self._windows.setdefault((key, model), _Window())
            window.forget_before(now - self.window)
            if len(window.events) >= rpm:
                return "Throttling.RateQuota"
            if window.tokens + input_tokens > tpm:
                return "Throttling.AllocationQuota"
            window.events.append([now, input_tokens])
            window.tokens += input_tokens
            return None

    def add_output(self, key: str, model: str, output_tokens: int) -> None:
        """Charge the tokens an answer produced to the current minute."""
        with self._lock:
            window = self._windows.get((key, model))
            if window and window.events:
                window.events[-1][1] += output_tokens
                window.tokens += output_tokens

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class _Window:
    """The requests of the last window for one key and model, and their token total."""

    def __init__(self) -> None:
        self.events: deque[list] = deque()
        self.tokens = 0

    def forget_before(self, cutoff: float) -> None:
        while self.events and self.events[0][0] <= cutoff:
            self.tokens -= self.events.popleft()[1]
