"""The checks behind the notebooks' "Try it" exercises: each prints ✓ or ✗ and says why."""

from __future__ import annotations

from typing import Any


def _report(problems: list[str], success: str) -> None:
    for problem in problems:
        print(f"✗ {problem}")
    if not problems:
        print(f"✓ {success}")


def check_first_call(reply: Any) -> None:
    """00 · a reply from ``qwen-flash`` that finished normally."""
    problems = []
    if not hasattr(reply, "choices"):
        return _report([f"expected the reply of chat.completions.create, got "
                        f"{type(reply).__name__}"], "")
    if reply.model != "qwen-flash":
        problems.append(f"the reply came from {reply.model!r}; pass model=\"qwen-flash\"")
    if reply.choices[0].finish_reason != "stop":
        problems.append(f"finish_reason is {reply.choices[0].finish_reason!r}, not 'stop'")
    if not reply.choices[0].message.content:
        problems.append("the answer is empty")
    return _report(problems, f"qwen-flash answered in {reply.usage.completion_tokens} tokens")
