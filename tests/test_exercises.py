"""The exercise checks: each prints ✓ for a right answer and ✗ with the reason otherwise."""

from __future__ import annotations

import importlib
import json

import openai
import pytest
from dashscope import Generation

from qwen_helpers.exercises import check_port

connect_module = importlib.import_module("qwen_helpers.connect")  # the module, not the function

PORT_MESSAGES = [{"role": "system", "content": "You are a helpful assistant."},
                 {"role": "user", "content": "你是谁？"}]


@pytest.fixture
def port(mock, key, monkeypatch):
    """The openai reply to port and a function making the ported call, against the mock."""
    monkeypatch.setattr(connect_module, "_mock", mock)
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    reply = client.chat.completions.create(model="qwen-plus", messages=PORT_MESSAGES,
                                           temperature=0.7, max_tokens=20,
                                           extra_body={"enable_thinking": False})

    def call(**changes):
        arguments = {"model": "qwen-plus", "messages": PORT_MESSAGES, "temperature": 0.7,
                     "max_tokens": 20, "enable_thinking": False, "result_format": "message",
                     "api_key": key, "base_address": mock.native_base_url, **changes}
        return Generation.call(**{k: v for k, v in arguments.items() if v is not None})
    return reply, call


def test_check_port_accepts_the_solution(port, capsys):
    reply, call = port
    check_port(call(), reply)
    assert capsys.readouterr().out.startswith("✓ same request through the native endpoint")


@pytest.mark.parametrize(("change", "reason"), [
    ({"result_format": None}, "pass result_format"),
    ({"temperature": None}, "same temperature"),
    ({"enable_thinking": None}, "same temperature and enable_thinking"),
    ({"max_tokens": None}, "same max_tokens"),
    ({"messages": PORT_MESSAGES[1:]}, "same messages"),
])
def test_check_port_names_what_is_missing(port, capsys, change, reason):
    reply, call = port
    check_port(call(**change), reply)
    out = capsys.readouterr().out
    assert out.startswith("✗") and reason in out


def test_check_port_refuses_an_openai_reply(port, capsys):
    reply, _ = port
    check_port(reply, reply)
    assert "GenerationResponse" in capsys.readouterr().out


def test_check_port_without_a_mock_does_not_grade_the_text(port, capsys, monkeypatch):
    reply, call = port
    response = call()
    monkeypatch.setattr(connect_module, "_mock", None)  # as in live mode
    response.output.choices[0].message.content = "another sampled answer"
    check_port(response, reply)
    out = capsys.readouterr().out
    assert out.startswith("✓") and "live mode" in out


# -- 07 · check_cache_hit_rate -------------------------------------------------------------------

class _CacheCounts:
    """What check_cache_hit_rate reads of a ResponseCache: its hit and miss counts."""

    def __init__(self, hits: int, misses: int) -> None:
        self.hits, self.misses = hits, misses


CACHE_QUESTIONS = ["What is an API key?", "what is an API key? ", "Why a 429?", "why  a 429?"]


@pytest.mark.parametrize(("hits", "misses", "expected"), [
    (2, 2, "✓ hit rate 50% (2 of 4): 2 calls saved"),
    (0, 4, "✗ hit rate 0% (0 of 4): 4 calls for 2 different questions"),
    (3, 1, "✗ hit rate 75% (3 of 4): only 1 calls for 2 different questions"),
    (1, 1, "✗ the cache saw 2 lookups for 4 questions"),
])
def test_check_cache_hit_rate(hits, misses, expected, capsys):
    from qwen_helpers.exercises import check_cache_hit_rate

    check_cache_hit_rate(_CacheCounts(hits, misses), CACHE_QUESTIONS)
    assert capsys.readouterr().out.startswith(expected)


def test_check_cache_hit_rate_passes_the_solution_against_the_mock(mock, key, capsys):
    from qwen_helpers.cache import ResponseCache, cached_call
    from qwen_helpers.exercises import check_cache_hit_rate

    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url)
    cache = ResponseCache()
    for question in CACHE_QUESTIONS:
        cached_call(cache, client.chat.completions.create, model="qwen-plus",
                    messages=[{"role": "user", "content": " ".join(question.lower().split())}])
    check_cache_hit_rate(cache, CACHE_QUESTIONS)
    assert capsys.readouterr().out.startswith("✓ hit rate 50% (2 of 4)")


# -- 06 · check_give_up ---------------------------------------------------------------------------

def _gave_up(status: int, attempts: int):
    from qwen_helpers.errors import QwenError

    error = QwenError("rate_limit", "Requests rate limit exceeded.", status=status)
    error.attempts = [object()] * attempts
    return error


def test_check_give_up_passes_two_attempts_and_the_last_429(capsys):
    from qwen_helpers.exercises import check_give_up
    from qwen_helpers.retry import RetryPolicy

    check_give_up(RetryPolicy(max_attempts=2, jitter="none"), _gave_up(429, 2))
    assert capsys.readouterr().out.startswith("✓ the policy gave up after 2 attempts")


def test_check_give_up_explains_a_success_and_a_wrong_policy(capsys):
    from qwen_helpers.exercises import check_give_up
    from qwen_helpers.retry import Attempt, RetryPolicy, RetryResult

    failed = Attempt(1, 0.0, 0.0, error=_gave_up(429, 0))
    check_give_up(RetryPolicy(), RetryResult("answer", [failed, Attempt(2, 1.0, 0.0)]))
    out = capsys.readouterr().out
    assert "✗ the policy allows 4 attempts" in out
    assert "✗ the call succeeded at attempt 2" in out
    check_give_up(RetryPolicy(max_attempts=2), RetryResult("answer", [Attempt(1, 0.0, 0.0)]))
    assert "run this in mock mode" in capsys.readouterr().out
    check_give_up(RetryPolicy(max_attempts=2), _gave_up(429, 3))
    assert "✗ it gave up after 3 attempt(s), not 2" in capsys.readouterr().out


# ---- 05 · check_stream_loop -------------------------------------------------------------------

def _stream_settings(mock):
    from dataclasses import replace

    from qwen_helpers.config import load_settings

    settings = load_settings(env={"QWEN_MODE": "mock"}, dotenv=False)
    return replace(settings, compatible_base_url=mock.compatible_base_url,
                   native_base_url=mock.native_base_url)


def _right_loop(stream):
    text, chunks = "", 0
    for chunk in stream:
        chunks += 1
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
    return text, chunks


def _naive_loop(stream):
    text, chunks = "", 0
    for chunk in stream:
        chunks += 1
        text += chunk.choices[0].delta.content
    return text, chunks


def test_check_stream_loop_passes_a_right_loop(mock, capsys):
    from qwen_helpers.exercises import check_stream_loop

    check_stream_loop(_right_loop, _stream_settings(mock))
    out = capsys.readouterr().out
    assert "✗" not in out and out.count("✓") == 3


def test_check_stream_loop_names_the_usage_only_chunk(mock, capsys):
    from qwen_helpers.exercises import check_stream_loop

    check_stream_loop(_naive_loop, _stream_settings(mock))
    out = capsys.readouterr().out
    assert "✓ a plain stream" in out
    assert "✗ a stream with include_usage: your loop raised IndexError" in out
    assert "choices == []" in out


def test_check_stream_loop_counts_every_chunk(mock, capsys):
    from qwen_helpers.exercises import check_stream_loop

    check_stream_loop(lambda stream: (_right_loop(stream)[0], 0), _stream_settings(mock))
    assert capsys.readouterr().out.count("✗") == 2


# ---- 08–10 · the solutions in the notebooks pass; the starters fail, saying why ----------------

def _solution_split(stream):
    reasoning, answer = "", ""
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        reasoning += getattr(delta, "reasoning_content", None) or ""
        answer += delta.content or ""
    return reasoning, answer


def _solution_join(chunks):
    calls = {}
    for chunk in chunks:
        if chunk.choices and chunk.choices[0].delta.tool_calls:
            for piece in chunk.choices[0].delta.tool_calls:
                call = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
                call["id"] = piece.id or call["id"]
                if piece.function:
                    call["name"] = piece.function.name or call["name"]
                    call["arguments"] += piece.function.arguments or ""
    return [calls[i] for i in sorted(calls)]


def _starter_join(chunks):
    calls = {}
    for chunk in chunks:
        if chunk.choices and chunk.choices[0].delta.tool_calls:
            for piece in chunk.choices[0].delta.tool_calls:
                calls[piece.index] = {"id": piece.id, "name": piece.function.name,
                                      "arguments": piece.function.arguments}
    return [calls[i] for i in sorted(calls)]


def test_check_thinking_split(mock, capsys):
    from qwen_helpers.exercises_beyond import check_thinking_split

    check_thinking_split(_solution_split, _stream_settings(mock))
    assert capsys.readouterr().out.startswith("✓ reasoning (")
    check_thinking_split(lambda stream: ("", "".join(
        c.choices[0].delta.content or "" for c in stream if c.choices)), _stream_settings(mock))
    assert capsys.readouterr().out.startswith("✗ got 0 characters of reasoning")


def test_check_tool_call_join(mock, capsys):
    from qwen_helpers.exercises_beyond import check_tool_call_join

    check_tool_call_join(_solution_join, _stream_settings(mock))
    assert capsys.readouterr().out == "✓ 2 calls (get_weather, get_weather) joined from 15 " \
                                      "chunks\n"
    check_tool_call_join(_starter_join, _stream_settings(mock))
    assert capsys.readouterr().out.startswith("✗ got [None, None]; the stream held 2 calls")


def test_check_order_parser(capsys):
    import pydantic

    from qwen_helpers.exercises_beyond import check_order_parser
    from qwen_helpers.structured import parse_json_answer

    class Item(pydantic.BaseModel):
        item: str
        size: str
        quantity: int

    check_order_parser(lambda text: parse_json_answer(text, Item))
    assert capsys.readouterr().out == "✓ all 6 answers read or refused as they should be\n"
    check_order_parser(json.loads)  # the starter: it trusts the text
    out = capsys.readouterr().out
    assert out.count("✗") == 3 and "is a good order, but your parser refused it" in out
