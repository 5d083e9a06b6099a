"""Test doubles shared by the test files: a clock that only moves when told, a made-up key."""

from __future__ import annotations

import secrets
import threading


def fake_key() -> str:
    """A value shaped like a real key (``sk-`` + 32 hex), made at run time so no file holds one."""
    return "sk-" + secrets.token_hex(16)


class FakeTime:
    """A clock and a sleep that moves it: waiting takes no real time. Thread-safe.

    ``sleeps`` lists every wait asked for, ``wait_ends`` the clock when each ended; ``on_sleep``
    runs after each wait (a test can let a mock's minute pass with it).
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.wait_ends: list[float] = []
        self.on_sleep = lambda: None
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
            self.wait_ends.append(self.now)
        self.on_sleep()

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    async_sleep = asleep
