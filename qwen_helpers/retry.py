"""Retry: an ordered table of rules that says whether a failed call is worth trying again.

The source document's tree says: 400–403 never, 429 with backoff (1 s, 2 s, 4 s, at most 3–5
tries), 500–503 yes. It leaves out 404, 408, 409, 413, 504, time-outs, dropped connections,
broken streams, the two kinds of 429 and the server's own hints. :data:`RULES` is that tree made
exact, in the shape of openai-python's ``_should_retry``: ordered checks on a
:class:`~qwen_helpers.errors.QwenError`'s kind, HTTP status and native code (either dialect's
code matches), each with a reason a person can read. The first rule that matches decides. The
retry diagram is drawn from ``RULES``, so code, table and picture cannot drift.

When a rule says retry, :func:`decide` picks the wait: the server's ``Retry-After`` when it sent
one (over ``max_server_wait`` the call gives up instead, rule 2), else exponential backoff
``min(cap, base · multiplier^(attempt − 1))`` — 1 s, 2 s, 4 s by default — with jitter:

``none``   exactly the backoff          ``full``   uniform(0, backoff)
``equal``  backoff/2 + uniform(0, backoff/2)

(Decorrelated jitter is left out: each wait depends on the previous one, so it is no function
of the attempt number.) It gives up after ``max_attempts`` or when the wait would cross
``deadline``, and never sleeps after the last attempt. :func:`call_with_retry` and
:func:`acall_with_retry` run the loop with an injectable sleep and clock. When one owns the
retries, turn the SDK's own off (``max_retries=0``, see :mod:`qwen_helpers.clients`); in
production, :func:`tenacity_retrying` runs the same decisions in ``tenacity``.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import tenacity

from .errors import COMPATIBLE_TO_NATIVE, QwenError, parse_retry_after, to_qwen_error

__all__ = ["DEFAULT_POLICY", "JITTERS", "RULES", "Attempt", "Decision", "RetryPolicy",
           "RetryResult", "Rule", "acall_with_retry", "backoff", "backoff_band",
           "call_with_retry", "decide", "matching_rule", "parse_retry_after", "tenacity_retrying"]

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
          "dashscope 2.0 obey it too).", when=lambda e, p: e.should_retry is True,
          when_text="x-should-retry: true"),
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
          "recovers within a minute (reference §8.1) — not OpenAI's billing insufficient_quota. "
          "If every try fails, send fewer tokens or wait a minute.",
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


@dataclass(frozen=True)
class Decision:
    """What to do after a failed attempt, with the rule that decided it and why."""

    retry: bool
    rule: Rule
    wait: float | None
    reason: str


@dataclass(frozen=True)
class Attempt:
    """One try: when it started (seconds after the call began), how long, and what followed."""

    number: int
    started_at: float
    duration: float
    error: QwenError | None = None
    decision: Decision | None = None
    wait: float | None = None


@dataclass
class RetryResult:
    """The value of the attempt that succeeded, and every attempt."""

    value: Any
    attempts: list[Attempt] = field(default_factory=list)

    def summary(self) -> str:
        """One line per attempt, for a notebook."""
        lines = []
        for a in self.attempts:
            if a.error is None or a.decision is None:
                lines.append(f"attempt {a.number}: ok")
                continue
            what = " ".join(str(x) for x in (a.error.kind, a.error.status, a.error.code) if x)
            then = "stop" if a.wait is None else f"wait {a.wait:.2f} s"
            lines.append(f"attempt {a.number}: {what} → {a.decision.rule.name}, {then}")
        return "\n".join(lines)


def matching_rule(error: QwenError, policy: RetryPolicy = DEFAULT_POLICY) -> Rule:
    """The first rule of :data:`RULES` that matches ``error``."""
    return next(rule for rule in RULES if rule.matches(error, policy))


def backoff_band(attempt: int, policy: RetryPolicy = DEFAULT_POLICY) -> tuple[float, float]:
    """The lowest and highest wait after failed attempt ``attempt`` (1, 2 …) under the jitter."""
    if attempt < 1:
        raise ValueError(f"attempt={attempt}: attempts are numbered from 1")
    try:
        ceiling = min(policy.cap, policy.base * policy.multiplier ** (attempt - 1))
    except OverflowError:
        ceiling = policy.cap
    return {"none": (ceiling, ceiling), "full": (0.0, ceiling),
            "equal": (ceiling / 2, ceiling)}[policy.jitter]


def backoff(attempt: int, policy: RetryPolicy = DEFAULT_POLICY,
            rng: random.Random | None = None) -> float:
    """The wait after failed attempt ``attempt``: exponential, capped, jittered."""
    low, high = backoff_band(attempt, policy)
    return low if low == high else min(high, (rng or random).uniform(low, high))


def decide(error: QwenError, attempt: int, policy: RetryPolicy = DEFAULT_POLICY, *,
           elapsed: float | None = None, rng: random.Random | None = None) -> Decision:
    """Whether to try again after failed attempt ``attempt``, how long to wait, and why."""
    rule = matching_rule(error, policy)
    if not rule.retry:
        return Decision(False, rule, None, rule.reason)
    if attempt >= policy.max_attempts:
        return Decision(False, rule, None, f"{rule.reason} But that was attempt {attempt} of "
                        f"{policy.max_attempts}: giving up.")
    if error.retry_after is not None:
        wait, source = error.retry_after, "the server's Retry-After"
    else:
        wait, source = backoff(attempt, policy, rng), f"backoff, {policy.jitter} jitter"
    if policy.deadline is not None and elapsed is not None and elapsed + wait >= policy.deadline:
        return Decision(False, rule, None, f"{rule.reason} But {elapsed:.2f} s are spent and a "
                        f"{wait:.2f} s wait would reach the {policy.deadline:g} s deadline: "
                        "giving up.")
    return Decision(True, rule, wait, f"{rule.reason} Waiting {wait:.2f} s ({source}) before "
                    f"attempt {attempt + 1} of {policy.max_attempts}.")


class _Loop:
    """The bookkeeping shared by the sync and async loops."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float],
                 rng: random.Random | None, on_attempt: OnAttempt | None = None) -> None:
        self.policy, self.clock, self.rng, self.on_attempt = policy, clock, rng, on_attempt
        self.start = clock()
        self.attempts: list[Attempt] = []

    def outcome(self, started: float, value: Any = None,
                exc: BaseException | None = None) -> float | None:
        """None when the attempt succeeded; the wait before the next one; or raise."""
        failure = value if exc is None else exc
        error = to_qwen_error(failure) if exc is not None or _failed(value) else None
        now, number = self.clock(), len(self.attempts) + 1
        if error is None:
            self.attempts.append(Attempt(number, started - self.start, now - started))
            self.report(failure)
            return None
        if error.kind == "unknown" and exc is not None:
            raise exc  # a bug in the calling code, not a failure of the service
        decision = decide(error, number, self.policy, elapsed=now - self.start, rng=self.rng)
        self.attempts.append(Attempt(number, started - self.start, now - started, error,
                                     decision, decision.wait))
        self.report(failure)
        if not decision.retry:
            error.attempts = list(self.attempts)
            raise error from exc
        return decision.wait

    def report(self, outcome: Any) -> None:
        if self.on_attempt is not None:
            self.on_attempt(self.attempts[-1], outcome)


OnAttempt = Callable[[Attempt, Any], object]
"""Called after every attempt with its :class:`Attempt` and what the SDK returned or raised."""


def call_with_retry(fn: Callable[[], Any], *, policy: RetryPolicy = DEFAULT_POLICY,
                    sleep: Callable[[float], Any] = time.sleep,
                    clock: Callable[[], float] = time.monotonic,
                    rng: random.Random | None = None,
                    on_attempt: OnAttempt | None = None) -> RetryResult:
    """Call ``fn()`` until it succeeds or :func:`decide` says stop; raise the last QwenError.

    A dashscope 1.x response with ``status_code`` ≠ 200 counts as a failure. Exceptions that are
    not failures of a call (a ``KeyError`` in ``fn``) pass through untouched, on the first try.
    ``on_attempt(attempt, outcome)`` sees every attempt as it ends, with the SDK's own answer or
    exception: one log line and one ledger row per attempt, e.g.
    ``on_attempt=lambda a, out: ledger.record(out, model=m, attempt=a.number, latency=a.duration)``.
    """
    loop = _Loop(policy, clock, rng, on_attempt)
    while True:
        started = clock()
        try:
            value = fn()
        except Exception as exc:
            wait = loop.outcome(started, exc=exc)
        else:
            wait = loop.outcome(started, value)
            if wait is None:
                return RetryResult(value, loop.attempts)
        sleep(wait)


async def acall_with_retry(fn: Callable[[], Awaitable[Any]], *,
                           policy: RetryPolicy = DEFAULT_POLICY,
                           sleep: Callable[[float], Any] = asyncio.sleep,
                           clock: Callable[[], float] = time.monotonic,
                           rng: random.Random | None = None,
                           on_attempt: OnAttempt | None = None) -> RetryResult:
    """:func:`call_with_retry` for ``async`` code: ``fn()`` returns an awaitable."""
    loop = _Loop(policy, clock, rng, on_attempt)
    while True:
        started = clock()
        try:
            value = await fn()
        except Exception as exc:
            wait = loop.outcome(started, exc=exc)
        else:
            wait = loop.outcome(started, value)
            if wait is None:
                return RetryResult(value, loop.attempts)
        pause = sleep(wait)
        if inspect.isawaitable(pause):
            await pause


def tenacity_retrying(policy: RetryPolicy = DEFAULT_POLICY, *,
                      sleep: Callable[[float], Any] = time.sleep,
                      rng: random.Random | None = None) -> tenacity.Retrying:
    """The same policy in ``tenacity``, the production retry library: ``decide`` drives it.

    ``for attempt in tenacity_retrying(): with attempt: call()`` or ``.__call__(fn)``. Unlike
    :func:`call_with_retry` it re-raises the SDK's own exception, and returns a failed dashscope
    1.x response as it is: wrap such a call in :func:`~qwen_helpers.errors.raise_for_response`.
    """
    def should_retry(state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        failure = outcome.exception() if outcome.failed else outcome.result()
        if not (outcome.failed or _failed(failure)):
            return False
        error = to_qwen_error(failure)
        if error.kind == "unknown":
            return False
        state.qwen_decision = decide(error, state.attempt_number, policy,  # type: ignore[attr-defined]
                                     elapsed=state.seconds_since_start, rng=rng)
        return state.qwen_decision.retry  # type: ignore[attr-defined]

    return tenacity.Retrying(retry=should_retry, stop=tenacity.stop_never, sleep=sleep,
                             wait=lambda state: state.qwen_decision.wait, reraise=True)


def _failed(value: Any) -> bool:
    """True for a returned dashscope response whose call failed."""
    try:
        to_qwen_error(value)
    except TypeError:
        return False
    return True


def _ranges(statuses: frozenset[int]) -> str:
    values, runs = sorted(statuses), []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)
