"""The retry decision table: a policy, and the ordered rules that say whether to try again.

:data:`RULES` is the source document's "should I retry?" tree made exact; :mod:`.retry` runs it
(``decide``, ``call_with_retry``) and the retry diagram is drawn from it, so code, table and
picture cannot drift. Each rule matches on a :class:`~qwen_helpers.errors.QwenError`'s kind, HTTP
status and native code (either dialect's code matches), and carries a reason a person can read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import COMPATIBLE_TO_NATIVE, QwenError
from .messages import say

JITTERS = ("none", "full", "equal")


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries, how long between them, and the total budget."""

    max_attempts: int = 4
    """Tries in all, the first included: 4 gives the document's waits of 1, 2 and 4 s."""
    base: float = 1.0
    multiplier: float = 2.0
    cap: float = 8.0
    """No backoff wait is longer (openai and dashscope 2.0 cap theirs at 8 s too)."""
    jitter: str = "full"
    max_server_wait: float = 60.0
    """The longest ``Retry-After`` honoured; a longer one means give up (one rate window)."""
    deadline: float | None = 90.0
    """Seconds for the whole call, waits included: a retry whose wait would end past it is not
    made. 90 s leaves room for the backoffs and one full rate window (a 60 s ``Retry-After``),
    never three of them in a row (180 s). None for no limit."""

    def __post_init__(self) -> None:
        checks = (  # name, value, whether it is allowed, what is allowed (None: JITTERS)
            ("max_attempts", self.max_attempts, self.max_attempts >= 1, "policy.one_or_more"),
            ("base", self.base, self.base >= 0, "policy.zero_or_more"),
            ("multiplier", self.multiplier, self.multiplier >= 1, "policy.one_or_more"),
            ("cap", self.cap, self.cap >= 0, "policy.zero_or_more"),
            ("jitter", self.jitter, self.jitter in JITTERS, None),
            ("max_server_wait", self.max_server_wait, self.max_server_wait >= 0,
             "policy.zero_or_more"),
            ("deadline", self.deadline, self.deadline is None or self.deadline > 0,
             "policy.none_or_positive"))
        problems = [say("policy.problem", name=name, value=repr(value),
                        allowed=say(allowed) if allowed else ", ".join(JITTERS))
                    for name, value, ok, allowed in checks if not ok]
        if problems:
            raise ValueError(say("policy.invalid",
                                 problems=say("policy.separator").join(problems)))


DEFAULT_POLICY = RetryPolicy()
Predicate = Callable[[QwenError, RetryPolicy], bool]


@dataclass(frozen=True)
class Rule:
    """One row of the table: what it matches, whether to retry, and why."""

    name: str
    retry: bool
    statuses: frozenset[int] = frozenset()
    """HTTP statuses it matches; empty means any."""
    codes: frozenset[str] = frozenset()
    """Native codes it matches (a compatible code is normalised first); empty means any."""
    kinds: frozenset[str] = frozenset()
    when: Predicate | None = None
    """A further condition on the error and the policy, described by ``when_text``."""
    when_text: str = ""

    @property
    def reason(self) -> str:
        """Why, in words a person can read, in the learner's language (catalog ``rule.<name>``)."""
        return say(f"rule.{self.name}")

    def matches(self, error: QwenError, policy: RetryPolicy = DEFAULT_POLICY) -> bool:
        """True when every condition the rule sets holds for ``error``."""
        return ((not self.statuses or error.status in self.statuses)
                and (not self.codes or error.native_code in self.codes)
                and (not self.kinds or error.kind in self.kinds)
                and (self.when is None or self.when(error, policy)))

    @property
    def condition(self) -> str:
        """The match in words, e.g. ``status 429 · code Throttling.RateQuota / limit_requests``."""
        native_to_compatible = {v: k for k, v in COMPATIBLE_TO_NATIVE.items()}
        parts = [f"kind {' or '.join(sorted(self.kinds))}" if self.kinds else "",
                 f"status {_ranges(self.statuses)}" if self.statuses else "",
                 "code " + ", ".join(" / ".join(filter(None, (c, native_to_compatible.get(c))))
                                     for c in sorted(self.codes)) if self.codes else "",
                 self.when_text]
        return " · ".join(p for p in parts if p) or "anything else"


def _rule(name: str, retry: bool, statuses: Any = (), codes: Any = (),
          kinds: Any = (), when: Predicate | None = None, when_text: str = "") -> Rule:
    return Rule(name, retry, frozenset(statuses), frozenset(codes), frozenset(kinds),
                when, when_text)


REQUEST_FORMS = ("the word 'json'", "enable_thinking", "thinking_budget", "tool_choice",
                 'role "tool"', 'with "tool_calls"')
"""Words of the refusals of notebooks 08–10 (docs/sources.md §3.1, §5.3): the request's form."""

RULES: tuple[Rule, ...] = (
    _rule("stream_started", False, kinds={"stream"}),
    _rule("retry_after_too_long", False, when_text="Retry-After > max_server_wait",
          when=lambda e, p: e.retry_after is not None and e.retry_after > p.max_server_wait),
    _rule("server_says_retry", True, when_text="x-should-retry: true, not 401/403",
          when=lambda e, p: e.should_retry is True and e.status not in (401, 403)),
    _rule("server_says_stop", False, when_text="x-should-retry: false",
          when=lambda e, p: e.should_retry is False),
    _rule("billing", False, codes={"Arrearage", "CommodityNotPurchased", "PrepaidBillOverdue",
                                   "PostpaidBillOverdue"}),
    _rule("free_tier_exhausted", False, codes={"AllocationQuota.FreeTierOnly"}),
    _rule("content_filtered", False, codes={"DataInspectionFailed"}),
    _rule("request_rate", True,
          codes={"Throttling", "Throttling.RateQuota", "Throttling.BurstRate"}),
    _rule("tokens_per_minute", True, codes={"Throttling.AllocationQuota"}),
    _rule("too_many_requests", True, statuses={429}),
    _rule("unauthorized", False, statuses={401}),
    _rule("request_form", False, statuses={400}, when_text="message names a request form",
          when=lambda e, p: any(words in (e.message or "") for words in REQUEST_FORMS)),
    _rule("bad_request", False, statuses={400}),
    _rule("forbidden", False, statuses={403}),
    _rule("not_found", False, statuses={404}),
    _rule("request_timeout", True, statuses={408}),
    _rule("conflict", True, statuses={409}),
    _rule("too_large", False, statuses={413}),
    _rule("other_client_error", False, statuses=range(400, 500)),
    _rule("model_too_slow", True, codes={"RequestTimeOut", "InternalError.Timeout"}),
    _rule("server_error", True, statuses={500}),
    _rule("unavailable", True, statuses={502, 503}),
    _rule("gateway_timeout", True, statuses={504}),
    _rule("other_server_error", True, statuses=range(500, 600)),
    _rule("client_timeout", True, kinds={"timeout"}),
    _rule("connection", True, kinds={"connection"}),
    _rule("transient_kind", True, kinds={"rate_limit", "server", "unavailable", "conflict"}),
    _rule("lasting_kind", False, kinds={"bad_request", "auth", "permission", "billing", "quota",
                                        "not_found", "too_large", "content_filter"}),
    _rule("not_recognised", False),
)
"""The decision table, checked top to bottom; the last rule matches anything."""


def matching_rule(error: QwenError, policy: RetryPolicy = DEFAULT_POLICY) -> Rule:
    """The first rule of :data:`RULES` that matches ``error``."""
    return next(rule for rule in RULES if rule.matches(error, policy))


def _ranges(statuses: frozenset[int]) -> str:
    values, runs = sorted(statuses), []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)
