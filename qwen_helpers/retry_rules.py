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
    deadline: float | None = None
    """Seconds for the whole call, waits included; None for no limit."""

    def __post_init__(self) -> None:
        problems = [f"{name}={value!r} (allowed: {allowed})" for name, value, ok, allowed in (
            ("max_attempts", self.max_attempts, self.max_attempts >= 1, "1 or more"),
            ("base", self.base, self.base >= 0, "0 or more"),
            ("multiplier", self.multiplier, self.multiplier >= 1, "1 or more"),
            ("cap", self.cap, self.cap >= 0, "0 or more"),
            ("jitter", self.jitter, self.jitter in JITTERS, ", ".join(JITTERS)),
            ("max_server_wait", self.max_server_wait, self.max_server_wait >= 0, "0 or more"),
            ("deadline", self.deadline, self.deadline is None or self.deadline > 0,
             "None or more than 0")) if not ok]
        if problems:
            raise ValueError(f"RetryPolicy: {'; '.join(problems)}. Fix the value or use the "
                             "default (RetryPolicy()).")


DEFAULT_POLICY = RetryPolicy()
Predicate = Callable[[QwenError, RetryPolicy], bool]


@dataclass(frozen=True)
class Rule:
    """One row of the table: what it matches, whether to retry, and why."""

    name: str
    retry: bool
    reason: str
    statuses: frozenset[int] = frozenset()
    """HTTP statuses it matches; empty means any."""
    codes: frozenset[str] = frozenset()
    """Native codes it matches (a compatible code is normalised first); empty means any."""
    kinds: frozenset[str] = frozenset()
    when: Predicate | None = None
    """A further condition on the error and the policy, described by ``when_text``."""
    when_text: str = ""

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


def _rule(name: str, retry: bool, reason: str, statuses: Any = (), codes: Any = (),
          kinds: Any = (), when: Predicate | None = None, when_text: str = "") -> Rule:
    return Rule(name, retry, reason, frozenset(statuses), frozenset(codes), frozenset(kinds),
                when, when_text)


RULES: tuple[Rule, ...] = (
    _rule("stream_started", False, "The stream had begun, so the reader may have seen part of "
          "the answer; sending again would start it over. Report it with the partial text.",
          kinds={"stream"}),
    _rule("retry_after_too_long", False, "The server asked for a longer wait than "
          "max_server_wait; a shorter wait would only be refused again, so give up now.",
          when=lambda e, p: e.retry_after is not None and e.retry_after > p.max_server_wait,
          when_text="Retry-After > max_server_wait"),
    _rule("server_says_retry", True, "The server sent x-should-retry: true (openai and "
          "dashscope 2.0 obey it too) — but never for a 401 or 403: a key or a permission "
          "does not fix itself.", when=lambda e, p: e.should_retry is True
          and e.status not in (401, 403), when_text="x-should-retry: true, not 401/403"),
    _rule("server_says_stop", False, "The server sent x-should-retry: false.",
          when=lambda e, p: e.should_retry is False, when_text="x-should-retry: false"),
    _rule("billing", False, "The account owes money or lacks the product (Arrearage is a 400, "
          "the bill codes are 429s); nothing changes until it is settled in the console.",
          codes={"Arrearage", "CommodityNotPurchased", "PrepaidBillOverdue",
                 "PostpaidBillOverdue"}),
    _rule("free_tier_exhausted", False, "The free quota is used up and 'use free tier only' is "
          "on; it does not come back within minutes.", codes={"AllocationQuota.FreeTierOnly"}),
    _rule("content_filtered", False, "Moderation judged the content inappropriate; the same "
          "request is judged the same way.", codes={"DataInspectionFailed"}),
    _rule("request_rate", True, "Too many requests this minute, or too fast a rise; the "
          "window slides, so a wait lets the next try through.",
          codes={"Throttling", "Throttling.RateQuota", "Throttling.BurstRate"}),
    _rule("tokens_per_minute", True, "On DashScope this is the tokens-per-minute limit, which "
          "recovers within a minute (docs/sources.md §8.1) — not OpenAI's billing "
          "insufficient_quota. If every try fails, send fewer tokens or wait a minute.",
          codes={"Throttling.AllocationQuota"}),
    _rule("too_many_requests", True, "A 429 without a known code is a rate limit too.",
          statuses={429}),
    _rule("unauthorized", False, "The key is missing, wrong or from another region; waiting "
          "will not fix it.", statuses={401}),
    _rule("bad_request", False, "The request is invalid; it will be invalid again.",
          statuses={400}),
    _rule("forbidden", False, "This key may not use this model or workspace.", statuses={403}),
    _rule("not_found", False, "No such model (or a retired one); it will not appear in a few "
          "seconds.", statuses={404}),
    _rule("request_timeout", True, "408: the server gave up waiting for the request; nothing "
          "was processed, so sending it again is safe.", statuses={408}),
    _rule("conflict", True, "409 is not documented by DashScope; openai and dashscope 2.0 retry "
          "it as a transient lock conflict, and so do we.", statuses={409}),
    _rule("too_large", False, "413: the body is over 16 MiB; send less.", statuses={413}),
    _rule("other_client_error", False, "Any other 4xx (422 …) says the request is wrong.",
          statuses=range(400, 500)),
    _rule("model_too_slow", True, "The model took too long (over 300 s); a retry may take as "
          "long again, so stream long answers.", codes={"RequestTimeOut", "InternalError.Timeout"}),
    _rule("server_error", True, "An internal error, usually transient.", statuses={500}),
    _rule("unavailable", True, "The gateway or model is overloaded or restarting.",
          statuses={502, 503}),
    _rule("gateway_timeout", True, "504: the gateway stopped waiting for the model. The first "
          "try may still have run (and been billed), but a chat call changes nothing, so it is "
          "safe to send again.", statuses={504}),
    _rule("other_server_error", True, "Any other 5xx is a fault on the server's side.",
          statuses=range(500, 600)),
    _rule("client_timeout", True, "The client stopped waiting; the server may still have run "
          "the request. Try again, and stream long answers.", kinds={"timeout"}),
    _rule("connection", True, "Refused, reset or dropped before an answer: usually a blip. (A "
          "wrong base URL fails every time, so the tries run out quickly.)",
          kinds={"connection"}),
    _rule("transient_kind", True, "A passing kind of failure that came without its usual "
          "status (a business error inside an HTTP 200).",
          kinds={"rate_limit", "server", "unavailable", "conflict"}),
    _rule("lasting_kind", False, "A lasting kind of failure that came without its usual status: "
          "refused by the SDK before sending (no key, no input) or a business error inside an "
          "HTTP 200. Waiting will not fix it.",
          kinds={"bad_request", "auth", "permission", "billing", "quota", "not_found",
                 "too_large", "content_filter"}),
    _rule("not_recognised", False, "Not a failure the table knows; retrying could hide a bug."),
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
