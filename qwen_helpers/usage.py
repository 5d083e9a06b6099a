"""Usage and cost: a ledger of calls, their tokens from either dialect, and what they cost.

The dialects name the same counters differently (docs/sources.md §4.1, §4.2): compatible mode says
``prompt_tokens`` / ``completion_tokens``, native says ``input_tokens`` / ``output_tokens``, and
both put context-cache hits in ``prompt_tokens_details.cached_tokens``. ``read_usage`` reads an
``openai`` ``ChatCompletion`` (or its last stream chunk), a dashscope 1.x ``GenerationResponse``,
a dashscope 2.0 ``ChatCompletion`` and a plain JSON dict. Prices come from :data:`PRICES`, a
dated table naming its sources; a price no source gives is None, and a cost that
needs it is reported as unknown, never guessed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import QwenError, to_qwen_error
from .messages import say
from .mock.answers import count_prompt

MARKETS = {"international": "USD", "ap-southeast-1": "USD", "china": "CNY", "cn-beijing": "CNY"}
"""Where a price applies, and its currency; a region name stands for its market."""
CACHE_HIT_FRACTION = 0.2
"""Implicit context-cache hits (automatic, the only kind a plain request gets) cost 20 % of the
input price (context-cache page, updated 2026-10-11; it superseded the 40 % of the Apr 2025
billing page). Applied to the China rows too, which is UNCONFIRMED."""
EXPLICIT_CACHE_HIT_FRACTION = 0.1
EXPLICIT_CACHE_CREATION_FRACTION = 1.25
"""The explicit cache (5 minutes, asked for in the request): hits cost 10 %, writing the cache
125 % of the input price (same page). The course sends no explicit-cache requests, and the
usage field that would count cache writes is UNCONFIRMED, so the ledger does not apply these."""


@dataclass(frozen=True)
class Price:
    """One model's price per million tokens in one market, with where the figure comes from."""

    model: str
    market: str
    input: float | None
    output: float | None
    source: str
    date: str
    third_party: bool = False
    max_input_tokens: int | None = None
    """The input-length tier the price is for; a longer prompt's price is unknown."""
    thinking_output: float | None = None
    """Output price when thinking is on (reasoning and answer tokens alike); None: unknown."""

    def describe(self) -> str:
        """``qwen-plus: USD 0.4 in / 1.2 out per M (source, date)``; None shows as unknown."""
        shown = [(say("usage.price_unknown") if v is None else f"{v:g}")
                 for v in (self.input, self.output)]
        tier = (say("usage.price_tier", tokens=self.max_input_tokens)
                if self.max_input_tokens else "")
        who = say("usage.third_party") if self.third_party else ""
        return say("usage.price", model=self.model, currency=MARKETS[self.market],
                   input=shown[0], output=shown[1], tier=tier, who=who, source=self.source,
                   date=self.date)


_BILLING = "alibabacloud.com/help/en/model-studio/billing-for-model-studio, 'minimum' tier"
_CHINA = ("help.aliyun.com/en/document_detail/3023262.html, 'AI PaaS billing rules' (may be one "
          "channel's); output ¥2 without thinking, ¥8 with it")
_AGGREGATION = "api-evangelist/qwen aggregation"
_RETIRED = " (model retired 2026-10-10)"
# docs/sources.md §8.5; "K" read as 1,000 so a tier is never overstated.
PRICES: tuple[Price, ...] = (
    Price("qwen-plus", "international", 0.4, 1.2, _BILLING, "2025-04-22"),
    Price("qwen-max", "international", 1.6, 6.4, _BILLING, "2025-04-22"),
    Price("qwen-turbo", "international", 0.05, 0.2, _BILLING + _RETIRED, "2025-04-22"),
    Price("qwen-flash", "international", 0.05, 0.40, "price list in docs/sources.md §8.5",
          "undated", True),
    Price("qwen3-max", "international", 1.2, None, _AGGREGATION, "2026-05", True, 32_000),
    Price("qwen3.5-plus", "international", 0.4, None, _AGGREGATION, "2026-05", True),
    Price("qwen3.5-flash", "international", 0.1, None, _AGGREGATION, "2026-05", True),
    Price("qwen-plus", "china", 0.8, 2.0, _CHINA, "undated", False, 128_000, 8.0),
    Price("qwen-flash", "china", 0.2, 1.5, _CHINA, "undated", False, 128_000),
    Price("qwen-turbo", "china", 0.3, None, _CHINA + _RETIRED, "undated", False, 128_000),
)


def price_of(model: str, market: str = "international") -> Price | None:
    """The table's price for a model in a market (or region), or None when it has none."""
    if market not in MARKETS:
        raise ValueError(say("usage.market_unknown", market=repr(market),
                             markets=", ".join(MARKETS)))
    wanted = "china" if MARKETS[market] == "CNY" else "international"
    return next((p for p in PRICES if p.model == model and p.market == wanted), None)


@dataclass(frozen=True)
class Usage:
    """Tokens billed for one answer; ``cached_tokens`` of the input hit the context cache."""

    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0


def _field(obj: Any, name: str) -> Any:
    """A field of a dict or an attribute of an object; pydantic values come back as dicts."""
    value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return value.model_dump() if hasattr(value, "model_dump") else value


def read_usage(response: Any) -> Usage | None:
    """The usage in any SDK's response or a JSON dict, or None when it carries none."""
    usage = _field(response, "usage")
    if usage is None or isinstance(usage, Usage):
        return usage
    cached = _field(_field(usage, "prompt_tokens_details"), "cached_tokens") or 0
    for names in (("prompt_tokens", "completion_tokens"), ("input_tokens", "output_tokens")):
        tokens_in, tokens_out = (_field(usage, name) for name in names)
        if isinstance(tokens_in, int):  # compatible first, then native and dashscope 2.0
            return Usage(tokens_in, int(tokens_out or 0), int(cached))
    return None


def read_call(outcome: Any) -> dict[str, Any]:
    """Status, request id, model and, for a failure, error kind and code, from any outcome.

    A dashscope 1.x error is a response with ``status_code`` (it never raises); a 2.0
    ``raise_on_error=False`` answer has ``is_error``; both SDKs' exceptions carry ``status_code``,
    ``code`` and ``request_id`` (None for a connection error).
    """
    headers = None if isinstance(outcome, BaseException) else _field(outcome, "headers")
    request_id = (getattr(outcome, "_request_id", None)  # openai: the x-request-id header
                  or (headers.get("x-request-id") if isinstance(headers, Mapping) else None)
                  or _field(outcome, "request_id") or _field(outcome, "id") or None)
    if isinstance(request_id, str) and request_id.startswith("chatcmpl-"):
        # The id is "chatcmpl-" + the request id (docs/sources.md §4.1).
        request_id = request_id[len("chatcmpl-"):]
    status, code = _field(outcome, "status_code"), _field(outcome, "code") or None
    if status is None and isinstance(outcome, BaseException):
        status = getattr(outcome, "status", None)  # a QwenError, as call_with_retry raises it
    error = outcome.get("error") if isinstance(outcome, Mapping) else None
    if isinstance(error, Mapping):  # a compatible-mode error body
        code = error.get("code") or error.get("type")
    broken = _field(outcome, "complete") is False  # a StreamResult that did not finish
    if broken and not code:  # the code of what broke it (an in-band error)
        code = getattr(_field(outcome, "error"), "code", None) or None
    failed = (isinstance(outcome, BaseException) or bool(_field(outcome, "is_error"))
              or bool(code) or isinstance(error, Mapping) or broken
              or (isinstance(status, int) and status != 200))
    kind = _kind(_field(outcome, "error") if broken else outcome, broken) if failed else None
    return {"status": status if isinstance(status, int) else (None if failed else 200),
            "request_id": request_id, "model": _field(outcome, "model") or None,
            "failed": failed, "incomplete": broken, "kind": kind,
            "code": str(code) if failed and code else None}


def _reasoned(outcome: Any) -> bool:
    """True when an answer carries reasoning (a stream result's, or choice 0's message's)."""
    if _field(outcome, "reasoning"):
        return True
    output = _field(outcome, "output")
    choices = _field(output, "choices") if output is not None else _field(outcome, "choices")
    if not choices:
        return False
    message = _field(choices[0], "message") or {}
    return bool(_field(message, "reasoning_content"))


def _kind(failure: Any, broken: bool) -> str:
    """The failure's kind in :data:`qwen_helpers.errors.KINDS`, the one vocabulary of failures."""
    if isinstance(failure, QwenError):
        return failure.kind
    if broken:
        return "stream"
    try:
        return to_qwen_error(failure).kind
    except TypeError:  # a body the errors module cannot read, such as a bare error mapping
        return "unknown"


def estimate_tokens(messages: list[dict[str, Any]], model: str = "qwen-plus",
                    tools: Any = None) -> int:
    """An estimate of the input tokens a chat will be billed for, counted before sending.

    It counts with the one tokenizer the ``dashscope`` package ships: Qwen-1's ``qwen.tiktoken``,
    which ``dashscope.get_tokenizer`` hands to any model name that starts with ``qwen``. Current
    models and the chat template the service adds may count differently (UNCONFIRMED), so this
    is an estimate; in live mode ``dashscope.Tokenization.call`` asks the service to count. The
    mock counts prompts with the same function.
    """
    if not model.startswith("qwen"):
        raise ValueError(say("usage.not_qwen", model=repr(model)))
    return count_prompt(messages, tools)


@dataclass(frozen=True)
class CallRecord:
    """One attempt in the ledger; tokens are None when the usage is not known."""

    model: str
    status: int | None
    request_id: str | None
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None
    latency: float | None
    attempt: int = 1
    cached: bool = False  # served from our own cache: nothing was sent, so it costs nothing
    usage_known: bool = True  # False for a broken stream: tokens estimated or None, never 0
    error: str | None = None
    time: float = 0.0
    thinking: bool = False
    """The answer came with reasoning: its output is priced at the thinking price."""

    def cost(self, price: Price | None) -> float | None:
        """What this attempt cost under ``price``, or None when it cannot be known."""
        known, complete = self._priced(price)
        return known if complete else None

    def known_cost(self, price: Price | None) -> float:
        """What the priced part of this attempt cost: a lower bound when :meth:`cost` is None."""
        return self._priced(price)[0]

    def _priced(self, price: Price | None) -> tuple[float, bool]:
        """The cost of the tokens that have a price, and whether every token had one."""
        if self.cached:
            return 0.0, True
        if not self.usage_known:
            return 0.0, False
        cached = self.cached_tokens or 0
        if price and price.max_input_tokens and (self.input_tokens or 0) > price.max_input_tokens:
            return 0.0, False
        price_in = price.input if price else None
        cache_in = None if price_in is None else price_in * CACHE_HIT_FRACTION
        price_out = (price.thinking_output if self.thinking else price.output) if price else None
        parts = ((self.input_tokens or 0) - cached, price_in), (cached, cache_in), (
            self.output_tokens or 0, price_out)
        total, complete = 0.0, True
        for tokens, per_million in parts:
            if tokens:
                if per_million is None:
                    complete = False
                else:
                    total += tokens * per_million / 1_000_000
        return total, complete


class Ledger:
    """Every attempt, with totals per model and a cost estimate; safe to share between threads."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.records: list[CallRecord] = []
        self._clock = clock
        self._lock = threading.Lock()

    def add(self, record: CallRecord) -> CallRecord:
        """Append a record built by hand."""
        with self._lock:
            self.records.append(record)
        return record

    def record(self, outcome: Any, *, model: str | None = None, latency: float | None = None,
               attempt: int = 1, cached: bool = False) -> CallRecord:
        """Record a response, an error response, an exception or a stream result.

        A failure with an HTTP error status was refused before any answer: 0 tokens (that the
        service bills nothing for it is UNCONFIRMED). A failure without one — a dropped
        connection, an error inside a stream (status 200 or none), a result with
        ``complete=False`` — may have been billed, so its usage is recorded as unknown.
        """
        facts = read_call(outcome)
        name = model or facts["model"]
        if not name:
            raise ValueError(say("usage.no_model", type=type(outcome).__name__))
        if facts["incomplete"] or (facts["failed"] and facts["status"] in (None, 200)):
            usage = read_usage(outcome)  # what a stream said before it broke: an estimate
            return self.record_incomplete(name, request_id=facts["request_id"], latency=latency,
                                          attempt=attempt, error=facts["code"] or facts["kind"],
                                          status=facts["status"],
                                          input_tokens=usage and usage.input_tokens,
                                          output_tokens=usage and usage.output_tokens)
        usage = (None if facts["failed"] else read_usage(outcome)) or Usage(0, 0, 0)
        return self.add(CallRecord(name, facts["status"], facts["request_id"], usage.input_tokens,
                                   usage.output_tokens, usage.cached_tokens, latency, attempt,
                                   cached, True, facts["code"] or facts["kind"], self._clock(),
                                   _reasoned(outcome)))

    def record_incomplete(self, model: str, *, request_id: str | None = None,
                          latency: float | None = None, attempt: int = 1,
                          input_tokens: int | None = None, output_tokens: int | None = None,
                          error: str = "stream", status: int | None = None
                          ) -> CallRecord:
        """Record an attempt whose usage is unknown, such as a broken stream (estimates allowed)."""
        return self.add(CallRecord(model, status, request_id, input_tokens, output_tokens, None,
                                   latency, attempt, False, False, error, self._clock()))

    def totals(self, market: str = "international") -> list[dict[str, Any]]:
        """Per model and ``all``: calls, errors, tokens, ``cost`` (None when any token lacks a
        price or a usage) and ``known_cost`` (what the priced tokens cost: a lower bound)."""
        with self._lock:
            records = list(self.records)
        models = sorted({r.model for r in records})
        rows = [_total(m, [r for r in records if r.model == m], market) for m in models]
        return rows + [_total("all", records, market)]

    def summary(self, market: str = "international") -> list[dict[str, Any]]:
        """The totals with costs as text: an amount with its currency, or ``unknown``."""
        return [{**row, "cost": _money(row["cost"], row["currency"]),
                 "known_cost": _money(row["known_cost"], row["currency"])}
                for row in self.totals(market)]

    def to_markdown(self, market: str = "international") -> str:
        """The summary as a Markdown table, with the price sources under it."""
        rows = self.summary(market)
        columns = [c for c in rows[0] if c not in ("currency", "price_source")]
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
        sources = sorted({row["price_source"] for row in rows if row["price_source"]})
        return "\n".join(lines + ["", say("usage.prices_heading")] + [f"- {s}" for s in sources])

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _money(amount: float | None, currency: str) -> str:
    return "unknown" if amount is None else f"{currency} {amount:.6f}"


def _total(model: str, records: list[CallRecord], market: str) -> dict[str, Any]:
    known = [r for r in records if r.usage_known and not r.cached]
    costs = [r.cost(price_of(r.model, market)) for r in records]
    known_costs = [r.known_cost(price_of(r.model, market)) for r in records]
    price = price_of(model, market) if model != "all" else None
    return {
        "model": model, "calls": len(records), "errors": sum(r.error is not None for r in records),
        "our_cache_hits": sum(r.cached for r in records),
        "input_tokens": sum(r.input_tokens or 0 for r in known),
        "output_tokens": sum(r.output_tokens or 0 for r in known),
        "cached_tokens": sum(r.cached_tokens or 0 for r in known),
        "unknown_usage": sum(not r.usage_known for r in records),
        "cost": None if any(c is None for c in costs) else sum(costs),
        "known_cost": sum(known_costs),
        "currency": MARKETS[market],
        "price_source": price.describe() if price else "",
    }
