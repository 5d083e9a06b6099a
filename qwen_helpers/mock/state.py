"""What the mock is configured with and remembers: its settings, state and per-request notes."""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from . import keys
from .answers import PACKAGE_RECORDINGS, Recordings, tokens
from .ratelimit import RateLimiter
from .scenarios import MAX_STALL_SECONDS, ScenarioBook

COMPATIBLE_CHAT = "/compatible-mode/v1/chat/completions"
COMPATIBLE_MODELS = "/compatible-mode/v1/models"
NATIVE_CHAT = "/api/v1/services/aigc/text-generation/generation"
SERVICE_PREFIXES = ("/compatible-mode/", "/api/")
EPOCH = 1_764_000_000
"""``created`` of every answer in deterministic mode (2025-11-24 16:00 UTC)."""


@dataclass
class MockConfig:
    """How the mock behaves; every field has a command-line flag of the same name."""

    keys: frozenset[str] = frozenset()
    region: str = "cn-beijing"
    seed: int = 0
    latency: float = 0.0
    """Seconds added before every answer (network and gateway)."""
    ttft: float = 0.05
    """Seconds from the request to the first token."""
    tokens_per_second: float = 400.0
    tokens_per_chunk: int = 1
    rpm: int = 600
    tpm: int = 1_000_000
    rate_window: float = 60.0
    max_body_bytes: int = 16 * 1024 * 1024
    """The service refuses bodies over 16 MiB with 413 (docs/sources.md §3.1)."""
    recordings: tuple[Path, ...] = (PACKAGE_RECORDINGS,)
    record_to: Path | None = None
    upstream: str | None = None
    """Record mode: forward to this base URL (``https://dashscope.aliyuncs.com``)."""
    deterministic: bool = True
    log_size: int = 10_000
    idle_timeout: float = 75.0
    """Seconds a connection may stay silent — before its first request or between two — before
    the mock closes it (aiohttp's ``keepalive_timeout``; a stream being sent is not idle), and
    a request's body may take to come whole (then a 408, and the connection closes)."""

    def __post_init__(self) -> None:
        """Refuse a configuration the mock cannot serve, before it starts (gate M7)."""
        finite, wait = math.isfinite, f"0 to {MAX_STALL_SECONDS:g} s"
        rules = (("latency", 0 <= self.latency <= MAX_STALL_SECONDS, wait),
                 ("ttft", 0 <= self.ttft <= MAX_STALL_SECONDS, wait),
                 ("tokens_per_second", self.tokens_per_second > 0 and finite(
                     self.tokens_per_second), "above 0"),
                 ("tokens_per_chunk", self.tokens_per_chunk >= 1, "1 or more"),
                 ("rpm", self.rpm >= 1, "1 or more"), ("tpm", self.tpm >= 1, "1 or more"),
                 ("rate_window", self.rate_window > 0 and finite(self.rate_window), "above 0"),
                 ("max_body_bytes", self.max_body_bytes >= 1, "1 or more"),
                 ("log_size", self.log_size >= 1, "1 or more"),
                 ("idle_timeout", 0 < self.idle_timeout <= 3600 and finite(self.idle_timeout),
                  "above 0, up to 3600 s"))
        wrong = [f"{name}={getattr(self, name)!r} (allowed: {allowed})"
                 for name, ok, allowed in rules if not ok]
        if wrong:
            raise ValueError(f"the mock cannot run with {'; '.join(wrong)}. Fix the value; the "
                             "mock was not started.")


@dataclass
class MockState:
    """Everything the mock remembers between requests."""

    config: MockConfig
    recordings: Recordings = field(init=False)
    scenarios: ScenarioBook = field(default_factory=ScenarioBook)
    limiter: RateLimiter = field(init=False)
    log: deque = field(init=False)
    counter: int = 0
    started: float = field(default_factory=time.monotonic)
    active_streams: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        tokens("warm up")  # load the tokenizer now, not inside the first request's timing
        self.recordings = Recordings(list(self.config.recordings))
        self.limiter = RateLimiter(self.config.rate_window)
        self.log = deque(maxlen=self.config.log_size)

    def next_request_id(self) -> str:
        """A request id: random, or stable for the same sequence of requests."""
        with self.lock:
            self.counter += 1
            if not self.config.deterministic:
                return str(uuid.uuid4())
            digest = hashlib.sha256(f"{self.config.seed}:{self.counter}".encode()).digest()
            return str(uuid.UUID(bytes=digest[:16], version=4))

    def created(self) -> int:
        return EPOCH + self.counter if self.config.deterministic else int(time.time())

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
            self.counter = 0
            self.started = time.monotonic()
        self.scenarios.reset()
        self.limiter.reset()


STATE = web.AppKey("state", MockState)


@dataclass
class Call:
    """What the gateway learnt about one request, for the handlers after it."""

    request_id: str
    arrived: float
    entry: dict[str, Any]
    """This request's line in the request log."""
    key: str = ""
    profile: keys.KeyProfile = field(default_factory=keys.KeyProfile)


CALL = web.RequestKey("call", Call)
