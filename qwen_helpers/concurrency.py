"""Many requests at once: a bound on how many are in flight, and a client-side RPM/TPM throttle.

The service limits requests and tokens per minute, per model and account; going over gets 429s
(docs/sources.md §8.1). Two separate controls keep a batch inside the limits:

- ``concurrency`` bounds how many calls are in flight at once (threads for ``run_all``, an
  ``asyncio.Semaphore`` for ``arun_all``);
- a :class:`Throttle` bounds how many start in any 60-second window (``rpm``) and how many tokens
  they may use (``tpm``; ``tokens_of(item)`` says how many one item will use — its input estimate
  plus the output you allow, as the service counts both). The service's limits are per model, so
  give each model its own throttle.

Results come back in input order, one :class:`Outcome` per item: a failure is kept as its error
and never loses the others. The throttle's clock and sleep can be replaced, so tests never wait.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .messages import say

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One item's result: its value, or the exception its call raised."""

    index: int
    item: Any
    value: T | None = None
    error: BaseException | None = None
    waited: float = 0.0
    """Seconds the throttle held this call back."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> T:
        """The value, or the error raised again."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class Throttle:
    """A sliding 60-second window over requests and tokens; thread-safe."""

    def __init__(self, rpm: int | None = None, tpm: int | None = None, *, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = time.sleep,
                 async_sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        for name, value in (("rpm", rpm), ("tpm", tpm)):
            if value is not None and value < 1:
                raise ValueError(say("concurrency.limit_not_positive", name=name,
                                     value=repr(value)))
        self.rpm, self.tpm, self.window = rpm, tpm, window
        self._clock, self._sleep, self._async_sleep = clock, sleep, async_sleep
        self._events: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def delay(self, tokens: int = 0) -> float:
        """Seconds until a call using ``tokens`` may start (0: now); records nothing."""
        with self._lock:
            return self._delay(self._clock(), tokens)

    def _delay(self, now: float, tokens: int) -> float:
        while self._events and self._events[0][0] <= now - self.window:
            self._events.popleft()
        if self.tpm is not None and tokens > self.tpm:
            raise ValueError(say("concurrency.never_fits", tokens=tokens, tpm=self.tpm))
        wait = 0.0
        if self.rpm is not None and len(self._events) >= self.rpm:
            oldest_to_expire = self._events[len(self._events) - self.rpm][0]
            wait = oldest_to_expire + self.window - now
        if self.tpm is not None:
            used = sum(n for _, n in self._events)
            for stamp, n in self._events:  # the oldest calls leave the window first
                if used + tokens <= self.tpm:
                    break
                used -= n
                wait = max(wait, stamp + self.window - now)
        return max(wait, 0.0)

    def _take(self, tokens: int) -> float:
        """Record the call and return 0, or return how long to wait first."""
        with self._lock:
            now = self._clock()
            wait = self._delay(now, tokens)
            if wait <= 0:
                self._events.append((now, tokens))
            return wait

    def acquire(self, tokens: int = 0) -> float:
        """Wait (with the injected sleep) until the call may start; returns seconds waited."""
        waited = 0.0
        while (wait := self._take(tokens)) > 0:
            self._sleep(wait)
            waited += wait
        return waited

    async def acquire_async(self, tokens: int = 0) -> float:
        """``acquire`` for asyncio: waits with the injected async sleep."""
        waited = 0.0
        while (wait := self._take(tokens)) > 0:
            await self._async_sleep(wait)
            waited += wait
        return waited


def _throttle(rpm: int | None, tpm: int | None, throttle: Throttle | None) -> Throttle | None:
    if throttle is not None and (rpm is not None or tpm is not None):
        raise ValueError(say("concurrency.both_limits"))
    return throttle or (Throttle(rpm, tpm) if rpm is not None or tpm is not None else None)


def _check(concurrency: int) -> None:
    if concurrency < 1:
        raise ValueError(say("concurrency.too_low", value=repr(concurrency)))


def run_all(fn: Callable[[Any], T], items: Iterable[Any], *, concurrency: int = 8,
            rpm: int | None = None, tpm: int | None = None,
            tokens_of: Callable[[Any], int] | None = None,
            throttle: Throttle | None = None) -> list[Outcome[T]]:
    """``fn(item)`` for every item on at most ``concurrency`` threads, throttled; input order."""
    _check(concurrency)
    limiter = _throttle(rpm, tpm, throttle)

    def one(index: int, item: Any) -> Outcome[T]:
        waited = 0.0
        try:
            if limiter is not None:
                waited = limiter.acquire(tokens_of(item) if tokens_of else 0)
            return Outcome(index, item, fn(item), waited=waited)
        except Exception as error:  # kept in the outcome: one failure loses nothing else
            return Outcome(index, item, error=error, waited=waited)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="run_all") as pool:
        futures = [pool.submit(one, i, item) for i, item in enumerate(items)]
        return [future.result() for future in futures]


async def arun_all(fn: Callable[[Any], Awaitable[T]], items: Iterable[Any], *,
                   concurrency: int = 8, rpm: int | None = None, tpm: int | None = None,
                   tokens_of: Callable[[Any], int] | None = None,
                   throttle: Throttle | None = None) -> list[Outcome[T]]:
    """``await fn(item)`` for each item, at most ``concurrency`` at once, throttled; input order."""
    _check(concurrency)
    limiter = _throttle(rpm, tpm, throttle)
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, item: Any) -> Outcome[T]:
        waited = 0.0
        async with gate:
            try:
                if limiter is not None:
                    waited = await limiter.acquire_async(tokens_of(item) if tokens_of else 0)
                return Outcome(index, item, await fn(item), waited=waited)
            except Exception as error:
                return Outcome(index, item, error=error, waited=waited)

    return list(await asyncio.gather(*(one(i, item) for i, item in enumerate(items))))
