"""A response cache: the same request is answered once, then from memory or disk.

The key is the canonical request: the function called, the model, the messages and every other
parameter, minus the ones that only say how to send it (:data:`TRANSPORT_PARAMETERS`: the key,
headers, base URL, timeout, retries). A parameter we do not know is kept in the key: an extra miss
is cheap, a wrong answer is not. A key or a header is never part of the key or of a file.

Only complete answers are stored: an exception, an error response (dashscope 1.x
``status_code != 200``, 2.0 ``is_error``, a JSON ``error`` body) or a stream result marked
incomplete is passed through and never cached. On disk each answer is one JSON file, written to a
temporary file and renamed into place, so a reader never sees half a file; a file that cannot be
read is a miss. Stored answers are JSON (``model_dump()`` of SDK objects), so a hit returns a
dict in the shape the service sent.

    cache = ResponseCache("cache/", ttl=3600)
    result = cached_call(cache, client.chat.completions.create, model="qwen-plus", messages=m)
    result.cached, result.response["choices"][0]["message"]["content"]
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .messages import say

TRANSPORT_PARAMETERS = frozenset({
    "api_key", "headers", "extra_headers", "extra_query", "timeout", "base_url", "base_address",
    "max_retries", "workspace", "http_client", "session",
})
"""How a request is sent, not what it asks: never part of the cache key."""
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedResult:
    """An answer and whether it came from the cache (then it cost nothing and took no call)."""

    response: Any
    """The answer as JSON (a dict), or, for an answer that could not be cached, as returned."""
    cached: bool
    key: str
    stored_at: float | None = None


def canonical_request(request: Mapping[str, Any], function: str = "") -> dict[str, Any]:
    """The parts of a request that decide the answer; ``extra_body`` is merged in."""
    canonical = {k: v for k, v in request.items()
                 if k not in TRANSPORT_PARAMETERS and k != "extra_body"}
    canonical.update({k: v for k, v in (request.get("extra_body") or {}).items()
                      if k not in TRANSPORT_PARAMETERS})
    return {"function": function, **canonical} if function else canonical


def request_key(canonical: Mapping[str, Any]) -> str:
    """A stable name for a canonical request: a SHA-256 of its sorted JSON."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_json(response: Any) -> Any:
    """An SDK response as plain JSON data: pydantic ``model_dump``, dicts, dataclasses."""
    if hasattr(response, "model_dump"):
        return response.model_dump(mode="json")
    if dataclasses.is_dataclass(response) and not isinstance(response, type):
        return json.loads(json.dumps(dataclasses.asdict(response), default=str))
    return json.loads(json.dumps(response, default=str))


def is_cacheable(response: Any) -> bool:
    """False for an error response or a stream result that did not complete."""
    get = response.get if isinstance(response, Mapping) else lambda n: getattr(response, n, None)
    status = get("status_code")
    if (isinstance(status, int) and status != 200) or get("is_error") or get("error"):
        return False
    return get("complete") is not False  # a StreamResult that did not finish


class ResponseCache:
    """Answers by canonical request, in memory and (with a folder) on disk, with a TTL."""

    def __init__(self, folder: str | Path | None = None, *, ttl: float | None = 24 * 3600,
                 clock: Callable[[], float] = time.time) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.ttl = ttl
        """Seconds an answer stays valid; None keeps it forever."""
        self.hits = 0
        self.misses = 0
        self._clock = clock
        self._memory: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> CachedResult | None:
        """The stored answer for a key, or None (a miss) when absent, expired or unreadable."""
        with self._lock:
            entry = self._memory.get(key)
        if entry is None and self.folder is not None:
            entry = self._read(key)
        if entry is not None and self.ttl is not None and self._clock() - entry[0] >= self.ttl:
            entry = None
        with self._lock:
            if entry is None:
                self.misses += 1
                self._memory.pop(key, None)
                return None
            self.hits += 1
            self._memory[key] = entry
        return CachedResult(entry[1], True, key, entry[0])

    def put(self, key: str, response: Any, canonical: Mapping[str, Any] | None = None) -> None:
        """Store an answer (as JSON); the canonical request is kept in the file for reading."""
        stored_at, data = self._clock(), as_json(response)
        with self._lock:
            self._memory[key] = (stored_at, data)
        if self.folder is not None:
            self._write(key, {"stored_at": stored_at, "request": canonical, "response": data})

    def clear(self) -> None:
        """Forget every answer, in memory and on disk; the counts start again."""
        with self._lock:
            self._memory.clear()
            self.hits = self.misses = 0
        for path in self.folder.glob("*.json") if self.folder is not None else ():
            path.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{key}.json"

    def _read(self, key: str) -> tuple[float, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            stored_at = float(data["stored_at"])
            if not math.isfinite(stored_at) or stored_at > self._clock() + 60:
                raise ValueError("stored_at is not a time in the past")  # would never expire
            return stored_at, data["response"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning(say("cache.unreadable", name=self._path(key).name,
                               error=type(exc).__name__))
            return None

    def _write(self, key: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{key[:12]}-",
                                             suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, self._path(key))  # atomic on POSIX and Windows
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def __repr__(self) -> str:
        where = str(self.folder) if self.folder is not None else "memory only"
        return f"ResponseCache({where}, ttl={self.ttl}, hits={self.hits}, misses={self.misses})"


def cached_call(cache: ResponseCache, fn: Callable[..., Any], **request: Any) -> CachedResult:
    """``fn(**request)`` answered from the cache when it can be; only complete answers stored."""
    name = getattr(fn, "__qualname__", type(fn).__qualname__)  # stable across runs: no address
    function = f"{getattr(fn, '__module__', '')}.{name}"
    canonical = canonical_request(request, function)
    key = request_key(canonical)
    hit = cache.get(key)
    if hit is not None:
        return hit
    response = fn(**request)  # an exception propagates and nothing is stored
    if not is_cacheable(response):
        return CachedResult(response, False, key)
    cache.put(key, response, canonical)
    return CachedResult(as_json(response), False, key)
