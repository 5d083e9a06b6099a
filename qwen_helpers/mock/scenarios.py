"""Scripted faults: a sequence of outcomes the mock plays one request at a time.

A sequence is comma-separated items, sent in the ``X-Mock-Scenario`` header or set as a key's
default with ``POST /_mock/scenario``. Each request for the same key and sequence takes the next
item, and the sequence starts over when it is used up: ``429,429,200`` answers a retrying call
the same way every time the cell that makes it runs again, and a default of ``429`` keeps a
workshop's calls failing until the instructor clears it.

==================  ===============================================================================
item                what the request gets
==================  ===============================================================================
``200``             a normal answer
``429``, ``503`` …  that status with the real error body of the request's dialect (``errors.py``)
``429/CODE``        that status with a given catalogue code, e.g. ``429/Throttling.AllocationQuota``
``drop``            the connection is closed before any response byte
``stall[:S]``       nothing for S seconds (default 30), then a normal answer: longer than a short
                    client timeout
``cut[:N]``         a stream closes abruptly after N chunks (default 2); a non-stream answer is cut
                    in the middle of its body
``freeze[:N]``      a stream sends N chunks (default 2), then nothing more while the client waits
                    (the mock closes it after 30 s)
``malformed[:N]``   a stream's chunk N+1 (default 2) is not JSON; a non-stream body is not JSON
``error[:N]``       after N chunks (default 1) the stream carries the service's in-band error:
                    ``event:error`` (native) or ``data: {"error": …}`` (compatible)
``ITEM*K``          the item K times (K from 1), e.g. ``429*3,200``
==================  ===============================================================================

A sequence holds 1 to :data:`MAX_ITEMS` items once expanded and :data:`MAX_SEQUENCE_CHARS`
characters; anything else is refused (a 400 that says what is allowed) before it is expanded.
The mock remembers the place of at most :data:`MAX_POSITIONS` key-and-sequence pairs (the least
recently used is forgotten: it starts over; a digest stands for the sequence) and the defaults
of at most :data:`MAX_DEFAULTS` keys of up to :data:`MAX_KEY_CHARS` characters.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from .errors import CATALOG

FAULTS = {"drop": None, "stall": 30.0, "cut": 2, "freeze": 2, "malformed": 2, "error": 1}
"""Named faults and the default of their argument."""
MAX_STALL_SECONDS = 600.0
MAX_ITEMS = 1000
"""Items of one sequence, once ``*K`` is expanded."""
MAX_POSITIONS = 4096
"""Key-and-sequence pairs whose place the mock remembers (least recently used forgotten)."""
MAX_SEQUENCE_CHARS = 8190
"""Characters of one sequence: the longest header value aiohttp reads, so any sequence that
works in ``X-Mock-Scenario`` works as a default too."""
MAX_DEFAULTS = 256
"""Keys that may have a default sequence at once (``POST /_mock/scenario``)."""
MAX_KEY_CHARS = 256
"""Characters of a key given a default (a real key has 35)."""

_ITEM = re.compile(r"^(?P<name>[a-z]+|\d{3})(?:[:/](?P<arg>[A-Za-z0-9_.]+))?(?:\*(?P<times>\d+))?$")


@dataclass(frozen=True)
class Step:
    """One item of a sequence."""

    kind: str
    """``status`` or a fault name."""
    status: int = 200
    code: str | None = None
    arg: float | int | None = None

    def __str__(self) -> str:
        if self.kind == "status":
            return f"{self.status}/{self.code}" if self.code else str(self.status)
        return self.kind if self.arg is None else f"{self.kind}:{self.arg:g}"


def parse(sequence: str) -> list[Step]:
    """Parse a sequence, raising ValueError that names the bad item and what is allowed."""
    if len(sequence) > MAX_SEQUENCE_CHARS:
        raise ValueError(f"a scenario may be at most {MAX_SEQUENCE_CHARS} characters long")
    steps: list[Step] = []
    for raw in (part.strip() for part in sequence.split(",")):
        if not raw:
            continue
        match = _ITEM.match(raw)
        if not match:
            raise ValueError(f"scenario item {raw[:40]!r} is not understood; {_ALLOWED}")
        times = match["times"]
        count = int(times) if times and len(times) <= 6 else (1 if not times else MAX_ITEMS + 1)
        if count < 1:
            raise ValueError(f"scenario item {raw[:40]!r}: *K repeats the item K times, K from 1")
        if len(steps) + count > MAX_ITEMS:  # checked before the list is built
            raise ValueError(f"a scenario may hold at most {MAX_ITEMS} items")
        steps.extend([_step(raw, match["name"], match["arg"])] * count)
    return steps


_ALLOWED = ("use an HTTP status (200, 429, 503 …), STATUS/CODE with a DashScope error code, or "
            "drop, stall[:S], cut[:N], freeze[:N], malformed[:N], error[:N], each with an "
            "optional *K")


def _step(raw: str, name: str, arg: str | None) -> Step:
    if name.isdigit():
        status = int(name)
        if not 200 <= status <= 599:
            raise ValueError(f"scenario item {raw!r}: the status must be 200 to 599")
        if arg is not None and CATALOG.get(arg) is None:
            raise ValueError(f"scenario item {raw!r}: unknown error code {arg!r}; "
                             f"known: {', '.join(sorted(CATALOG))}")
        return Step("status", status, arg)
    if name not in FAULTS:
        raise ValueError(f"scenario item {raw!r}: unknown fault {name!r}; {_ALLOWED}")
    default = FAULTS[name]
    if arg is None:
        return Step(name, arg=default)
    if default is None:
        raise ValueError(f"scenario item {raw!r}: {name} takes no argument")
    try:
        value = float(arg) if name == "stall" else int(arg)
    except ValueError:
        raise ValueError(f"scenario item {raw!r}: {arg!r} is not a number") from None
    if name == "stall" and not (math.isfinite(value) and 0 <= value <= MAX_STALL_SECONDS):
        raise ValueError(f"scenario item {raw!r}: the argument must be 0 to "
                         f"{MAX_STALL_SECONDS:g}")
    if value < 0 or value > MAX_ITEMS:
        raise ValueError(f"scenario item {raw!r}: the argument must be 0 to {MAX_ITEMS}")
    return Step(name, arg=value)


class ScenarioBook:
    """Which step comes next for each key and sequence, and the keys' default sequences."""

    ALL_KEYS = "*"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._positions: OrderedDict[tuple[str, str, bytes], int] = OrderedDict()
        """Each (key, source, sequence digest)'s next place, least recently used first."""
        self._defaults: dict[str, str] = {}
        self._followed: dict[str, str] = {}
        """Defaults copied from another mock (``follow.py``); this mock's own come first."""

    def set_default(self, key: str | None, sequence: str) -> list[Step]:
        """Make ``sequence`` the default for ``key`` (every key when None); "" clears it."""
        steps = parse(sequence)
        target = key or self.ALL_KEYS
        if len(target) > MAX_KEY_CHARS:
            raise ValueError(f"a key may be at most {MAX_KEY_CHARS} characters long")
        with self._lock:
            if steps:
                if target not in self._defaults and len(self._defaults) >= MAX_DEFAULTS:
                    raise ValueError(f"at most {MAX_DEFAULTS} keys may have a default at once; "
                                     'clear one first (send its key with "sequence": "")')
                self._defaults[target] = sequence
            else:
                self._defaults.pop(target, None)
            self._positions = OrderedDict((k, v) for k, v in self._positions.items()
                                          if k[1] != target)
        return steps

    def follow(self, defaults: dict[str, str]) -> None:
        """Play another mock's defaults too (after this mock's own); bad sequences are skipped."""
        valid = {}
        for key, sequence in defaults.items():
            if len(valid) == MAX_DEFAULTS:
                break
            try:
                if (isinstance(key, str) and len(key) <= MAX_KEY_CHARS
                        and isinstance(sequence, str) and parse(sequence)):
                    valid[key] = sequence
            except ValueError:
                continue
        with self._lock:
            changed = {k for k in set(valid) | set(self._followed)
                       if valid.get(k) != self._followed.get(k)}
            self._followed = valid
            self._positions = OrderedDict((k, v) for k, v in self._positions.items()
                                          if k[1] not in {f"followed:{c}" for c in changed})

    def defaults(self) -> dict[str, str]:
        with self._lock:
            return dict(self._defaults)

    def next_step(self, key: str, header: str | None) -> Step | None:
        """The step for this request, or None for a normal answer. Raises ValueError.

        Each key keeps its own place in each sequence, so a default set for every key plays
        the whole sequence to each learner; the place wraps around at the end.
        """
        with self._lock:
            source, sequence = "header", header
            if sequence is None:
                source, sequence = self._default_for(key)
            if not sequence:
                return None
            steps = parse(sequence)
            if not steps:
                raise ValueError(f"the scenario {sequence[:40]!r} holds no item; {_ALLOWED}")
            slot = (key, source, hashlib.sha256(sequence.encode("utf-8", "surrogatepass")).digest())
            position = self._positions.pop(slot, 0)
            self._positions[slot] = position + 1  # now the most recently used
            while len(self._positions) > MAX_POSITIONS:
                self._positions.popitem(last=False)
            return steps[position % len(steps)]

    def _default_for(self, key: str) -> tuple[str, str | None]:
        """The default sequence for ``key`` and where it comes from; the caller holds the lock."""
        for source, table in ((key, self._defaults), (f"followed:{key}", self._followed),
                              (self.ALL_KEYS, self._defaults),
                              (f"followed:{self.ALL_KEYS}", self._followed)):
            name = source.removeprefix("followed:")
            if name in table:
                return source, table[name]
        return self.ALL_KEYS, None

    def reset(self) -> None:
        with self._lock:
            self._positions.clear()
            self._defaults.clear()
