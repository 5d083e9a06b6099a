"""Tool calling: run the calls a model asks for, and the loop that ends in its answer.

The loop (notebook 09, diagram ``09-tool-calling``)::

    answer with tool_calls ─► run each function ─► append the assistant message and one
         ▲                                          role "tool" message per call
         └──────────────────────────────────────────┘   … until finish_reason is "stop"

A model can ask for a tool that does not exist, or write arguments that are not JSON or do not
fit the schema. :func:`run_tool_call` never raises for those: it answers the model with a
``role: "tool"`` message saying what was wrong (the model can then correct itself), and records
the problem so your program sees it too. An exception raised *inside* your function is reported
the same way. The loop stops after ``max_rounds`` rounds of calls, so a model that keeps calling
cannot run up a bill.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .messages import say

__all__ = ["ToolLoopResult", "ToolRun", "run_tool_call", "tool_loop"]


@dataclass
class ToolRun:
    """One tool call and what running it gave."""

    id: str
    name: str
    arguments: str
    """The arguments as the model wrote them: JSON text, maybe broken."""
    result: Any = None
    problem: str | None = None
    """What was wrong (unknown tool, arguments not JSON, the function raised); None if it ran."""

    def message(self) -> dict[str, Any]:
        """The ``role: "tool"`` message that answers this call."""
        content = (say("tool.problem", problem=self.problem) if self.problem
                   else self.result if isinstance(self.result, str)
                   else json.dumps(self.result, ensure_ascii=False))
        return {"role": "tool", "tool_call_id": self.id, "content": content}


def _field(call: Any, name: str) -> Any:
    return call.get(name) if isinstance(call, Mapping) else getattr(call, name, None)


def run_tool_call(call: Any, functions: Mapping[str, Callable[..., Any]]) -> ToolRun:
    """Run one tool call (an ``openai`` object or a dict) with the function of its name,
    called with the decoded arguments as keywords."""
    function = _field(call, "function")
    name, arguments = _field(function, "name") or "", _field(function, "arguments") or ""
    run = ToolRun(_field(call, "id") or "", name, arguments)
    if name not in functions:
        run.problem = say("tool.unknown", name=name, known=", ".join(functions) or "-")
        return run
    try:
        kwargs = json.loads(arguments or "{}")
    except json.JSONDecodeError as error:
        run.problem = say("tool.not_json", error=error.msg, line=error.lineno,
                          column=error.colno)
        return run
    if not isinstance(kwargs, dict):
        run.problem = say("tool.not_object", got=type(kwargs).__name__)
        return run
    try:
        run.result = functions[name](**kwargs)
    except Exception as error:  # the model's arguments, or the function itself, went wrong
        run.problem = say("tool.raised", error=f"{type(error).__name__}: {error}")
    return run


@dataclass
class ToolLoopResult:
    """The loop's answer, every call it ran, and the whole conversation."""

    answer: str | None
    """The final text; None when the loop stopped at its round limit."""
    messages: list[dict[str, Any]]
    runs: list[ToolRun] = field(default_factory=list)
    rounds: int = 0
    """Rounds of tool calls (each round is one request answered with ``tool_calls``)."""
    complete: bool = False
    """True when the model gave its final answer within the round limit."""

    @property
    def problems(self) -> list[str]:
        return [f"{run.name}: {run.problem}" for run in self.runs if run.problem]


def tool_loop(client: Any, model: str, messages: list[dict[str, Any]],
              tools: list[dict[str, Any]], functions: Mapping[str, Callable[..., Any]], *,
              max_rounds: int = 5, **options: Any) -> ToolLoopResult:
    """Call the model with ``tools`` until it answers in text, running the calls it asks for.

    ``client`` is an ``openai`` client; ``options`` go to every request (``tool_choice``,
    ``parallel_tool_calls``, ``extra_body`` …). The messages are copied, never changed.
    """
    result = ToolLoopResult(None, list(messages))
    for _ in range(max_rounds + 1):
        reply = client.chat.completions.create(model=model, messages=result.messages,
                                               tools=tools, **options)
        message = reply.choices[0].message
        if not message.tool_calls:
            result.answer, result.complete = message.content, True
            result.messages.append({"role": "assistant", "content": message.content})
            return result
        if result.rounds == max_rounds:
            return result  # asked for one round more than allowed: stop, do not run it
        result.rounds += 1
        result.messages.append(message.model_dump(include={"role", "content", "tool_calls"}))
        for call in message.tool_calls:
            run = run_tool_call(call, functions)
            result.runs.append(run)
            result.messages.append(run.message())
    return result
