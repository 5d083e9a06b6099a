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


def check_configuration(env: dict[str, str]) -> None:
    """01 · settings that load in live mode for a Singapore key (no network involved)."""
    from .config import ConfigError, load_settings

    try:
        settings = load_settings(env=env, dotenv=False)
    except ConfigError as error:
        return _report([str(error)], "")
    problems = []
    if settings.mode != "live":
        problems.append(f"mode is {settings.mode!r}; the exercise asks for live mode")
    if settings.region != "ap-southeast-1":
        problems.append(f"region is {settings.region!r}; a Singapore key needs ap-southeast-1")
    return _report(problems, f"live mode, {settings.region}, {settings.compatible_base_url}")


def check_reading(answer: dict[str, Any], raw_body: str) -> None:
    """02 · text, finish reason, total tokens and request id read from a raw response body."""
    import json

    data = json.loads(raw_body)
    expected = {
        "text": data["choices"][0]["message"]["content"],
        "finish_reason": data["choices"][0]["finish_reason"],
        "total_tokens": data["usage"]["total_tokens"],
        "request_id": data["id"].removeprefix("chatcmpl-"),
    }
    problems = [f"{name}: got {answer.get(name)!r}, expected the value at its place in the JSON"
                for name in expected if answer.get(name) != expected[name]]
    return _report(problems, "all four values read correctly")
