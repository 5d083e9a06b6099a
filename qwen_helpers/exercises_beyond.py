"""The checks behind the "Try it" exercises of notebooks 08–10: each prints ✓ or ✗ and says why.

The same conventions as :mod:`qwen_helpers.exercises` (lines in the learner's language, catalog
``qwen_helpers/catalog/exercises.py``); the streams come from the mock or the service.
"""

from __future__ import annotations

from typing import Any

from .clients import openai_client
from .exercises import _RecordedStream, _report
from .messages import say
from .streaming import collect_openai

COMPARE_WEATHER = [{"role": "user", "content": "Compare the weather in Hangzhou and Beijing."}]
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Today's weather in one city.",
    "parameters": {"type": "object",
                   "properties": {"city": {"type": "string",
                                           "description": "City name, e.g. Hangzhou"}},
                   "required": ["city"]}}}
"""09 · the request of the exercise: two calls at once (a recording answers it in mock mode)."""


def _run(function: Any, argument: Any, problems: list[str]) -> tuple[bool, Any]:
    try:
        return True, function(argument)
    except Exception as error:
        problems.append(say("ex.raised", error=f"{type(error).__name__}: {error}"))
        return False, None


def check_thinking_split(split: Any, settings: Any) -> None:
    """08 · ``split(stream)`` returns (reasoning, answer) of a thinking stream with usage."""
    stream = _RecordedStream(openai_client(settings).chat.completions.create(
        model=settings.model, messages=[{"role": "user", "content": "9.11 和 9.8 哪个大？"}],
        stream=True, stream_options={"include_usage": True},
        extra_body={"enable_thinking": True}))
    problems: list[str] = []
    ran, got = _run(split, stream, problems)
    for _ in stream:  # read what the function left, to know the right answer
        pass
    held = collect_openai(stream.chunks)  # what the stream really held
    reasoning, answer = held.reasoning, held.text
    if ran:
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            problems.append(say("ex.split.shape", got=type(got).__name__))
        elif tuple(got) != (reasoning, answer):
            problems.append(say("ex.split.wrong", got_reasoning=len(str(got[0])),
                                got_answer=len(str(got[1])), reasoning=len(reasoning),
                                answer=len(answer)))
    return _report(problems, say("ex.split.ok", reasoning=len(reasoning), answer=len(answer),
                                 chunks=len(stream.chunks)))


def check_tool_call_join(join: Any, settings: Any) -> None:
    """09 · ``join(chunks)`` turns a stream's chunks into its tool calls, pieces joined by index."""
    chunks = list(openai_client(settings).chat.completions.create(
        model=settings.model, messages=COMPARE_WEATHER, tools=[WEATHER_TOOL],
        parallel_tool_calls=True, stream=True))
    wanted = [{"id": call["id"], "name": call["function"]["name"],
               "arguments": call["function"]["arguments"]}
              for call in collect_openai(chunks).tool_calls]
    problems: list[str] = []
    ran, got = _run(join, chunks, problems)
    if ran and got != wanted:
        shown = [c.get("name") if isinstance(c, dict) else type(c).__name__
                 for c in (got if isinstance(got, list) else [got])]
        problems.append(say("ex.join.wrong", got=shown, count=len(wanted),
                            names=[c["name"] for c in wanted]))
    return _report(problems, say("ex.join.ok", count=len(wanted), chunks=len(chunks),
                                 names=", ".join(c["name"] for c in wanted)))


ORDER_CASES = (
    ('{"item": "latte", "size": "large", "quantity": 2}', ("latte", "large", 2)),
    ('```json\n{"item": "muffin", "size": "regular", "quantity": 1}\n```',
     ("muffin", "regular", 1)),
    ('{"item": "latte", "quantity": 2}', None),
    ('{"item": "latte", "size": "large", "quantity": "two"}', None),
    ('{"item": "latte", "size": "large", "quantity": 2', None),
    ("", None),
)
"""10 · answers a model could give, and the order each holds (None: it must be refused)."""


def check_order_parser(parse: Any) -> None:
    """10 · ``parse(text)`` returns an order with ``item``, ``size`` and ``quantity``, or raises
    ``ValueError`` (pydantic's ``ValidationError`` is one) when the answer does not fit."""
    problems: list[str] = []
    for text, expected in ORDER_CASES:
        shown = repr(text if len(text) < 50 else text[:47] + "...")
        try:
            got = parse(text)
        except ValueError:
            if expected is not None:
                problems.append(say("ex.order.refused", text=shown))
            continue
        except Exception as error:
            problems.append(say("ex.order.raised", text=shown, error=type(error).__name__))
            continue
        values = tuple((got.get(k) if isinstance(got, dict) else getattr(got, k, None))
                       for k in ("item", "size", "quantity"))
        if expected is None:
            problems.append(say("ex.order.accepted", text=shown, got=values))
        elif values != expected:
            problems.append(say("ex.order.wrong", text=shown, got=values, expected=expected))
    return _report(problems, say("ex.order.ok", count=len(ORDER_CASES)))
