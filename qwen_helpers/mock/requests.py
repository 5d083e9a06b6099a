"""Reading a chat request in either dialect, and refusing it the way the service does.

``parse_compatible`` and ``parse_native`` turn a body into one :class:`ChatRequest`, or raise
:class:`Rejected` carrying the catalogue error. Wording sources: docs/sources.md §3 and §6.2, plus
captures of the real service: "Required parameter(X) missing or invalid, please check the
request parameters." [3P alibaba/spring-ai-alibaba#1350], "parameter.enable_thinking must be set
to false for non-streaming calls" [3P codexu/note-gen#372], and the ``json_object`` message
[3P agno-agi/agno#5317], "Json mode response is not supported when enable_thinking is true"
[3P presenton/presenton#184, Aug 2025; newer models may accept it: QwenLM/Qwen#2329, Sep 2026],
and the ``thinking_budget`` message [3P QwenLM/Qwen3#1896, Aug 2026]. Messages for ``top_p``,
``presence_penalty``, ``n`` and ``seed`` follow
the documented "Range of X should be …" pattern; their exact wording is UNCONFIRMED.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..models import CURRENT_MODELS
from .errors import BODY_INVALID, CATALOG, ServiceError, invalid_parameter

ROLES = ("system", "user", "assistant", "tool")
ANSWER_PARAMETERS = (
    "temperature", "top_p", "top_k", "seed", "max_tokens", "stop", "n", "presence_penalty",
    "repetition_penalty", "tools", "tool_choice", "parallel_tool_calls", "response_format",
    "enable_thinking", "thinking_budget",
)
"""The parameters that change the answer, so they are part of a recording's key."""
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


class Rejected(Exception):
    """The request is refused with a catalogue error."""

    def __init__(self, error: ServiceError, model: str = "") -> None:
        super().__init__(error.code)
        self.error = error
        self.model = model


@dataclass
class ChatRequest:
    """A chat request, the same whichever dialect it came in."""

    dialect: str
    """``compatible`` or ``native``."""
    model: str
    messages: list[dict[str, Any]]
    stream: bool = False
    include_usage: bool = False
    """Compatible streams: a last chunk with usage (``stream_options.include_usage``)."""
    incremental: bool = False
    """Native streams: each event carries only the new text (``incremental_output``)."""
    result_format: str = "message"
    """Native answers: ``message`` (``output.choices``) or ``text`` (``output.text``)."""
    params: dict[str, Any] = field(default_factory=dict)

    def canonical(self) -> dict[str, Any]:
        """What identifies the answer: model, messages and the parameters that change it."""
        return {"model": self.model, "messages": self.messages,
                **{k: self.params[k] for k in sorted(self.params)}}


LARGE_BODY_BYTES = 256 * 1024
"""A body larger than this is parsed and answered in a worker thread (``handlers.py``)."""


def load_body(raw: bytes) -> dict[str, Any]:
    """The JSON object in a body, or Rejected with the service's "body invalid" error."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant,
                          object_pairs_hook=_object if len(raw) > LARGE_BODY_BYTES else None)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejected(BODY_INVALID) from None
    if not isinstance(body, dict) or (_SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(body)):
        raise Rejected(BODY_INVALID)
    return body


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
"""A ``\\uD800``–``\\uDFFF`` escape: only then can a parsed body hold half a character."""


def _has_lone_surrogate(body: dict[str, Any]) -> bool:
    """True when an escape left half of a UTF-16 pair, which is no text (RFC 8259 §8.2): the
    service cannot read it either, so it is the "body invalid" 400 (its wording UNCONFIRMED)."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, as ``json.loads`` makes it; for large bodies only (a small one parses
    faster without it). Being Python code, it lets the thread parsing a large body pause for
    the event loop (the C parser alone holds the interpreter lock for
    hundreds of milliseconds on a body of half a million objects)."""
    return dict(pairs)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_compatible(body: dict[str, Any]) -> ChatRequest:
    """``POST /compatible-mode/v1/chat/completions``."""
    model = _model(body.get("model"))
    stream = _boolean(body, "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _missing("stream_options")
    include_usage = stream and bool((options or {}).get("include_usage"))
    request = ChatRequest("compatible", model, _messages(body.get("messages")), stream,
                          include_usage, params=_params(body, INT32_MAX, model))
    if request.params.get("enable_thinking") and not stream:
        raise Rejected(invalid_parameter(
            "parameter.enable_thinking must be set to false for non-streaming calls"), model)
    _check_json_mode(request)
    return request


def parse_native(body: dict[str, Any], stream: bool) -> ChatRequest:
    """``POST /api/v1/services/aigc/text-generation/generation``; streaming comes from a header."""
    if not body.get("model"):
        raise Rejected(CATALOG["BadRequest.EmptyModel"])
    model = _model(body["model"])
    payload = body.get("input")
    if payload is None:
        raise Rejected(CATALOG["BadRequest.EmptyInput"], model)
    parameters = body.get("parameters")
    if parameters is None:
        raise Rejected(CATALOG["BadRequest.EmptyParameters"], model)
    if not isinstance(parameters, dict):
        raise _missing("parameters")
    if not isinstance(payload, dict) or (payload.get("messages") is None
                                         and payload.get("prompt") is None):
        raise Rejected(invalid_parameter(
            'Either "prompt" or "messages" must exist and cannot both be none'), model)
    if payload.get("messages") is not None:
        messages = _messages(payload["messages"])
    elif isinstance(payload["prompt"], str) and payload["prompt"]:
        messages = [{"role": "user", "content": payload["prompt"]}]
    else:
        raise _missing("prompt")
    result_format = parameters.get("result_format", "text")
    if result_format not in ("text", "message"):
        raise _missing("result_format")
    incremental = _boolean(parameters, "incremental_output")
    request = ChatRequest("native", model, messages, stream, incremental=incremental,
                          result_format=result_format,
                          params=_params(parameters, INT64_MAX, model))
    if request.params.get("enable_thinking"):
        if not stream:
            raise Rejected(invalid_parameter("This model only support stream mode, please "
                                             "enable the stream parameter to access the model."))
        if result_format != "message":
            raise Rejected(invalid_parameter('The result_format parameter must be "message" '
                                             "when enable_thinking is true"), model)
        if not incremental:
            raise Rejected(invalid_parameter('The incremental_output parameter must be "true" '
                                             "when enable_thinking is true"), model)
    _check_json_mode(request)
    return request


def _missing(name: str) -> Rejected:
    return Rejected(invalid_parameter(
        f"Required parameter({name}) missing or invalid, please check the request parameters.",
        name))


def _model(value: Any) -> str:
    if value is None or value == "":
        raise Rejected(CATALOG["BadRequest.EmptyModel"])
    if not isinstance(value, str):
        raise _missing("model")
    if value not in CURRENT_MODELS:
        # Retired names get the same 404 as unknown ones (404 vs 400 for them is UNCONFIRMED).
        raise Rejected(CATALOG["ModelNotFound"], value[:100])
    return value


def _boolean(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _missing(name)
    return value


def _messages(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _missing("messages")
    if not value:
        raise Rejected(invalid_parameter("[] is too short", "messages"))
    messages = []
    for message in value:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise _missing("messages")
        content = message.get("content")
        if isinstance(content, list):
            raise Rejected(invalid_parameter("input content must be a string", "messages"))
        if not isinstance(content, str) and not (content is None and message.get("tool_calls")):
            raise _missing("messages")
        messages.append({k: message[k] for k in sorted(message)})
    return messages


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _missing(name)
        if not math.isfinite(value):
            raise _missing(name)
    except OverflowError:
        raise _missing(name) from None
    return value


RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "temperature": (lambda v: 0 <= v < 2, "Temperature should be in [0.0, 2.0)"),
    "top_p": (lambda v: 0 < v <= 1, "Range of top_p should be (0.0, 1.0]"),
    "presence_penalty": (lambda v: -2 <= v <= 2, "Range of presence_penalty should be [-2.0, 2.0]"),
    "repetition_penalty": (lambda v: v > 0, "Range of repetition_penalty should be (0, +inf)"),
    "top_k": (lambda v: v >= 0 and v == int(v), "Range of top_k should be [0, +inf)"),
    "n": (lambda v: v == int(v) and 1 <= v <= 4, "Range of n should be [1, 4]"),
}
"""The fixed ranges, in the order they are checked; ``seed`` and ``max_tokens`` follow, with
limits that depend on the dialect and the model."""


def _range(name: str, seed_max: int,
           model_name: str) -> tuple[Callable[[float], bool], str] | None:
    """The rule and message for one numeric parameter (None: not checked for this model)."""
    if name == "seed":
        return (lambda v: v == int(v) and 0 <= v <= seed_max,
                f"Range of seed should be [0, {seed_max}]")
    if name == "max_tokens":
        model = CURRENT_MODELS.get(model_name)
        if model is None:
            return None
        limit = model.max_output_tokens
        return (lambda v: v == int(v) and 1 <= v <= limit,
                f"Range of max_tokens should be [1, {limit}]")
    return RANGES[name]


def _params(body: dict[str, Any], seed_max: int, model_name: str) -> dict[str, Any]:
    """The answer-changing parameters, range-checked (``max_tokens`` against the model's limit).

    The model is passed in: a native request keeps it outside ``parameters``. Only the
    parameters the body holds are checked (most requests hold none of them).
    """
    params: dict[str, Any] = {}
    for name in (*RANGES, "seed", "max_tokens"):
        value = _number(body, name)
        if value is None:
            continue
        rule = _range(name, seed_max, model_name)
        if rule is None:
            continue
        ok, message = rule
        if not ok(value):
            raise Rejected(invalid_parameter(message, name))
        params[name] = value
    stop = body.get("stop")
    if stop is not None:
        if isinstance(stop, str):
            stop = [stop]
        if not isinstance(stop, list) or not all(isinstance(s, (str, int)) for s in stop):
            raise _missing("stop")
        params["stop"] = stop
    for name in ("tools", "tool_choice", "response_format"):
        if body.get(name) is not None:
            params[name] = body[name]
    _check_tools(params)
    for name in ("enable_thinking", "parallel_tool_calls"):
        if body.get(name) is not None:
            params[name] = _boolean(body, name)
    budget = body.get("thinking_budget")
    if budget is not None:
        limit = CURRENT_MODELS[model_name].max_thinking_tokens
        if isinstance(budget, bool) or not isinstance(budget, int) or not 0 < budget <= limit:
            raise Rejected(invalid_parameter(
                "<400> InternalError.Algo.InvalidParameter: The thinking_budget parameter must "
                f"be a positive integer and not greater than {limit}", "thinking_budget"),
                model_name)
        params["thinking_budget"] = budget
    return params


def _check_tools(params: dict[str, Any]) -> None:
    """``tools`` is a list of ``{"type": "function", "function": {"name": …}}``; ``tool_choice``
    is ``"auto"``, ``"none"`` or ``{"type": "function", "function": {"name": …}}`` (sources.md
    §3.1). The service's wording for a malformed one is UNCONFIRMED: the generic
    "Required parameter(…) missing or invalid" message is used."""
    tools = params.get("tools")
    if tools is not None and not (isinstance(tools, list) and all(
            isinstance(t, dict) and t.get("type") == "function"
            and isinstance(t.get("function"), dict)
            and isinstance(t["function"].get("name"), str) and t["function"]["name"]
            for t in tools)):
        raise _missing("tools")
    choice = params.get("tool_choice")
    if choice is None or choice in ("auto", "none"):
        return
    if isinstance(choice, str):
        raise Rejected(invalid_parameter(
            'tool_choice is one of the strings that should be ["none", "auto"]', "tool_choice"))
    if not (isinstance(choice, dict) and choice.get("type") == "function"
            and isinstance(choice.get("function"), dict)
            and isinstance(choice["function"].get("name"), str)):
        raise _missing("tool_choice")


def _check_json_mode(request: ChatRequest) -> None:
    form = request.params.get("response_format")
    if form is None:
        return
    if not isinstance(form, dict) or form.get("type") not in ("text", "json_object",
                                                              "json_schema"):
        raise _missing("response_format")
    if form["type"] != "text" and request.params.get("enable_thinking"):
        raise Rejected(invalid_parameter(
            "Json mode response is not supported when enable_thinking is true",
            "response_format"), request.model)
    text = " ".join(str(m.get("content") or "") for m in request.messages).lower()
    if form["type"] == "json_object" and "json" not in text:
        raise Rejected(invalid_parameter(
            "<400> InternalError.Algo.InvalidParameter: 'messages' must contain the word 'json' "
            "in some form, to use 'response_format' of type 'json_object'.", "response_format"),
            request.model)


_ALGO = "<400> InternalError.Algo.InvalidParameter: "


def check_tool_turns(request: ChatRequest) -> None:
    """The refusals of a tool conversation (docs/sources.md §5.3): a forced tool in thinking
    mode; a ``tool`` message that answers no call; calls left unanswered. The service's list
    of unanswered ids is worded ``message[N].role`` in the one capture; the mock names the first
    few ids (UNCONFIRMED). Checked after the prompt's length (``handlers.py``), so a prompt too
    long is refused as such whatever its messages."""
    if request.params.get("enable_thinking") and isinstance(request.params.get("tool_choice"),
                                                              dict):
        raise Rejected(invalid_parameter(
            _ALGO + "The tool_choice parameter does not support being set to required or "
            "object in thinking mode", "tool_choice"), request.model)
    waiting: list[str] = []
    for message in request.messages:
        if message["role"] == "tool":
            if not waiting:
                raise Rejected(invalid_parameter(
                    _ALGO + 'messages with role "tool" must be a response to a preceeding '
                    'message with "tool_calls".', "messages"), request.model)
            if message.get("tool_call_id") in waiting:
                waiting.remove(message["tool_call_id"])
            continue
        if waiting:
            break
        calls = message.get("tool_calls") if message["role"] == "assistant" else None
        waiting = [c.get("id") for c in calls or [] if isinstance(c, dict)]
    if waiting:
        raise Rejected(invalid_parameter(
            _ALGO + 'An assistant message with "tool_calls" must be followed by tool messages '
            'responding to each "tool_call_id". The following tool_call_ids did not have '
            f"response messages: {', '.join(str(i)[:40] for i in waiting[:8])}", "messages"),
            request.model)

