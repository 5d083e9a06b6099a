"""Retry: an ordered table of rules that says whether a failed call is worth trying again.

The source document's tree says: 400–403 never, 429 with backoff (1 s, 2 s, 4 s, at most 3–5
tries), 500–503 yes. It leaves out 404, 408, 409, 413, 504, time-outs, dropped connections,
broken streams, the two kinds of 429 and the server's own hints. :data:`RULES` (in
:mod:`.retry_rules`, re-exported here) is that tree made exact, in the shape of openai-python's
``_should_retry``: ordered checks on a
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

A stream is never sent again once its body began to arrive: when ``fn`` reads an SDK's stream
itself and the connection breaks there, the failure is kind ``stream`` (told from where the SDK
raised it, :func:`~qwen_helpers.errors.raised_while_streaming`), which no rule retries — the
reader may have seen half an answer. A key never leaves the loop: every exception it raises or
lets through is masked first (:func:`~qwen_helpers.errors.scrub`, chained causes included).
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

from .errors import QwenError, parse_retry_after, raised_while_streaming, to_qwen_error
from .messages import say
from .retry_rules import DEFAULT_POLICY, JITTERS, RULES, RetryPolicy, Rule, matching_rule

__all__ = ["DEFAULT_POLICY", "JITTERS", "RULES", "Attempt", "Decision", "RetryPolicy",
           "RetryResult", "Rule", "acall_with_retry", "backoff", "backoff_band",
           "call_with_retry", "decide", "matching_rule", "parse_retry_after", "tenacity_retrying"]


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
                lines.append(say("retry.attempt_ok", number=a.number))
                continue
            what = " ".join(str(x) for x in (a.error.kind, a.error.status, a.error.code) if x)
            then = say("retry.stop") if a.wait is None else say("retry.wait", wait=a.wait)
            lines.append(say("retry.attempt_failed", number=a.number, what=what,
                             rule=a.decision.rule.name, then=then))
        return "\n".join(lines)


def backoff_band(attempt: int, policy: RetryPolicy = DEFAULT_POLICY) -> tuple[float, float]:
    """The lowest and highest wait after failed attempt ``attempt`` (1, 2 …) under the jitter."""
    if attempt < 1:
        raise ValueError(say("retry.attempt_from_one", attempt=attempt))
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
        return Decision(False, rule, None, say("retry.giving_up", reason=rule.reason,
                                               attempt=attempt, max=policy.max_attempts))
    if error.retry_after is not None:
        wait, source = error.retry_after, say("retry.source_server")
    else:
        wait = backoff(attempt, policy, rng)
        source = say("retry.source_backoff", jitter=policy.jitter)
    if policy.deadline is not None and elapsed is not None and elapsed + wait >= policy.deadline:
        return Decision(False, rule, None, say("retry.deadline", reason=rule.reason,
                                               elapsed=elapsed, wait=wait,
                                               deadline=policy.deadline))
    return Decision(True, rule, wait, say("retry.waiting", reason=rule.reason, wait=wait,
                                          source=source, next=attempt + 1,
                                          max=policy.max_attempts))


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
        error = _reading(failure) if exc is not None or _failed(value) else None
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
        error = _reading(failure)
        if error.kind == "unknown":
            return False
        state.qwen_decision = decide(error, state.attempt_number, policy,  # type: ignore[attr-defined]
                                     elapsed=state.seconds_since_start, rng=rng)
        return state.qwen_decision.retry  # type: ignore[attr-defined]

    return tenacity.Retrying(retry=should_retry, stop=tenacity.stop_never, sleep=sleep,
                             wait=lambda state: state.qwen_decision.wait, reraise=True)


def _reading(failure: Any) -> QwenError:
    """The failure's QwenError; a connection lost while an SDK read a stream is a ``stream``."""
    error = to_qwen_error(failure)
    if error.kind in ("connection", "timeout") and isinstance(failure, BaseException) \
            and raised_while_streaming(failure):
        error = to_qwen_error(error, in_stream=True)
    return error


def _failed(value: Any) -> bool:
    """True for a returned dashscope response whose call failed."""
    try:
        to_qwen_error(value)
    except TypeError:
        return False
    return True
