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


class _RecordedStream:
    """An ``openai`` stream that remembers every chunk handed out (for ``check_stream_loop``)."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.chunks = stream, []
        self._iterator = iter(stream)

    def __iter__(self) -> _RecordedStream:
        return self

    def __next__(self) -> Any:
        chunk = next(self._iterator)
        self.chunks.append(chunk)
        return chunk

    def __enter__(self) -> _RecordedStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def check_stream_loop(loop: Any, settings: Any) -> None:
    """05 · ``loop(stream)`` returns (the whole text, the chunk count), usage chunk or not."""
    from openai import OpenAI

    client = OpenAI(api_key=settings.api_key, base_url=settings.compatible_base_url)
    cases = [("a plain stream", [{"role": "user", "content": "你好"}], {}),
             ("a stream with include_usage",
              [{"role": "system", "content": "You are a helpful assistant."},
               {"role": "user", "content": "你是谁？"}],
              {"stream_options": {"include_usage": True}})]
    problems, passed = [], []
    for label, messages, options in cases:
        stream = _RecordedStream(client.chat.completions.create(
            model=settings.model, messages=messages, stream=True, **options))
        try:
            got = loop(stream)
        except Exception as error:
            hint = {IndexError: ": the usage-only last chunk has choices == []",
                    TypeError: ": a delta's content can be None"}.get(type(error), "")
            problems.append(f"{label}: your loop raised {type(error).__name__} ({error}) at "
                            f"chunk {len(stream.chunks)}{hint}")
            continue
        finally:
            for _ in stream:  # read what the loop left, to know the right answer
                pass
            stream.stream.close()
        text = "".join(c.choices[0].delta.content or "" for c in stream.chunks if c.choices)
        expected = (text, len(stream.chunks))
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            problems.append(f"{label}: return (text, chunk_count), not {type(got).__name__}")
        elif tuple(got) != expected:
            problems.append(f"{label}: got text of {len(str(got[0]))} characters and "
                            f"{got[1]} chunks; expected {len(text)} characters and "
                            f"{expected[1]} chunks (every chunk counts, text only from choices)")
        else:
            passed.append(f"{label}: {len(text)} characters in {expected[1]} chunks")
    for line in passed:
        print(f"✓ {line}")
    return _report(problems, "your loop reads both streams right")


RETRY_CASES = (
    ("429,503,200", (1, 2), True),
    ("400", (), False),
    ("429*6", (1, 2, 4), False),
    ("500,200", (1,), True),
)
"""03 · fault sequences, the waits (seconds) a correct loop makes, and whether it succeeds."""


def check_retry_loop(retry_call: Any, time_scale: float | None = None) -> None:
    """03 · grade ``retry_call(make_request, sleep)`` from the mock's request log.

    A correct loop makes at most 4 attempts, waits 1, 2, 4 s (up to 25 % jitter allowed)
    between them, retries 429 and 5xx, never a 400, and returns or raises what the call did.
    Waits are measured at the mock, so only real ``sleep`` calls count.
    """
    import os
    import time

    from openai import OpenAI

    from .connect import connect, mock_server

    settings = connect(quiet=True)
    if settings.mode != "mock":
        return _report(["the check scripts faults in the local mock: run it in mock mode "
                        "(QWEN_MODE=mock)"], "")
    scale = time_scale or float(os.environ.get("QWEN_TIME_SCALE", "1"))
    server = mock_server()
    client = OpenAI(api_key=settings.api_key, base_url=settings.compatible_base_url,
                    max_retries=0)
    problems, passed = [], []
    for sequence, waits, succeeds in RETRY_CASES:
        server.state.scenarios.reset()
        before = [e["request_id"] for e in server.requests()]

        def make_request(sequence: str = sequence) -> Any:
            return client.chat.completions.create(
                model=settings.model, messages=[{"role": "user", "content": "你好"}],
                extra_headers={"X-Mock-Scenario": sequence})

        try:
            retry_call(make_request, lambda seconds: time.sleep(max(0.0, seconds) * scale))
            succeeded = True
        except Exception:
            succeeded = False
        times = [e["time"] for e in server.requests() if e["request_id"] not in before]
        gaps = [round((b - a) / scale, 1) for a, b in zip(times, times[1:])]
        label = f"{sequence}: {len(times)} attempt(s)"
        if len(times) != len(waits) + 1:
            problems.append(f"{label}; expected {len(waits) + 1}")
        elif succeeded != succeeds:
            problems.append(f"{label}, then it {'returned' if succeeded else 'raised'}; it should "
                            f"{'return the answer' if succeeds else 'raise the last error'}")
        elif any(not (0.5 * w <= g <= 1.25 * w + 0.3) for g, w in zip(gaps, waits)):
            problems.append(f"{label} with waits {gaps} s; expected about {list(waits)} s")
        else:
            passed.append(f"{label}, waits {gaps} s")
    return _report(problems, "; ".join(passed))
