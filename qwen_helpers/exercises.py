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
    import time

    from openai import OpenAI

    from .connect import connect, mock_server

    settings = connect(quiet=True)
    if settings.mode != "mock":
        return _report(["the check scripts faults in the local mock: run it in mock mode "
                        "(QWEN_MODE=mock)"], "")
    scale = time_scale or settings.time_scale
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
        gaps = [round((b - a) / scale, 1) for a, b in zip(times, times[1:], strict=False)]
        label = f"{sequence}: {len(times)} attempt(s)"
        if len(times) != len(waits) + 1:
            problems.append(f"{label}; expected {len(waits) + 1}")
        elif succeeded != succeeds:
            problems.append(f"{label}, then it {'returned' if succeeded else 'raised'}; it should "
                            f"{'return the answer' if succeeds else 'raise the last error'}")
        elif any(not (0.5 * w <= g <= 1.25 * w + 0.3) for g, w in zip(gaps, waits, strict=False)):
            problems.append(f"{label} with waits {gaps} s; expected about {list(waits)} s")
        else:
            passed.append(f"{label}, waits {gaps} s")
    return _report(problems, "; ".join(passed))


def check_port(response: Any, reply: Any) -> None:
    """04 · ``Generation.call`` with the ``openai`` call's parameters: same request, same answer.

    ``reply`` is the ``openai`` answer. The messages show in the input tokens and ``max_tokens``
    in the finish reason and output tokens. In mock mode the request must be in the mock's log
    as native, for the same model, and the text must match: the mock answers this request from
    a recording made with ``temperature=0.7`` and thinking off, so a missing parameter changes
    it. In live mode two sampled answers rarely match word for word, so the text is not graded.
    """
    from dashscope.api_entities.dashscope_response import GenerationResponse

    if not isinstance(response, GenerationResponse):
        return _report([f"expected what Generation.call returns (GenerationResponse), got "
                        f"{type(response).__name__}: port the call to Generation.call"], "")
    if response.status_code != 200:
        return _report([f"the call failed: {response.status_code} {response.code}: "
                        f"{response.message}"], "")
    if not response.output.choices:
        return _report(["output.choices is None: the answer came back in output.text; pass "
                        "result_format=\"message\""], "")
    choice, expected = response.output.choices[0], reply.choices[0]
    problems = []
    entry = _mock_entry(response.request_id)
    if entry is not None and (entry.get("dialect"), entry.get("model")) != ("native", reply.model):
        problems.append(f"the mock logged a {entry.get('dialect')} request for "
                        f"{entry.get('model')!r}; expected native, {reply.model!r}")
    if response.usage.input_tokens != reply.usage.prompt_tokens:
        problems.append(f"{response.usage.input_tokens} input tokens, the openai call had "
                        f"{reply.usage.prompt_tokens}: send the same messages, system one included")
    if (choice.finish_reason, response.usage.output_tokens) != (expected.finish_reason,
                                                                reply.usage.completion_tokens):
        problems.append(f"finish_reason {choice.finish_reason!r} after "
                        f"{response.usage.output_tokens} tokens, the openai call had "
                        f"{expected.finish_reason!r} after {reply.usage.completion_tokens}: "
                        "pass the same max_tokens")
    same_text = choice.message.content == expected.message.content
    if entry is not None and not same_text and not problems:
        problems.append("the text differs from the openai answer: pass the same temperature and "
                        "enable_thinking (plain keyword arguments in dashscope)")
    note = "" if same_text or entry is not None else (
        " (the texts differ, as two answers sampled at temperature 0.7 do in live mode)")
    return _report(problems, "same request through the native endpoint, same answer" + note)


def _mock_entry(request_id: str | None) -> dict[str, Any] | None:
    """The mock's log entry for a request id, or None (live mode: no mock in this process)."""
    import importlib

    # The module, not the package's ``connect`` function; its mock is read, never started here.
    server = importlib.import_module(".connect", __package__)._mock
    if server is None or not request_id:
        return None
    return next((e for e in server.requests() if e.get("request_id") == request_id), None)


def check_give_up(policy: Any, outcome: Any) -> None:
    """06 · a policy of 2 attempts: against ``429,429,200`` the caller gets the second 429."""
    from .errors import QwenError
    from .retry import RetryResult

    attempts = getattr(policy, "max_attempts", None)
    problems = [] if attempts == 2 else [f"the policy allows {attempts} attempts; give "
                                         "RetryPolicy max_attempts=2"]
    if isinstance(outcome, RetryResult):
        if all(a.error is None for a in outcome.attempts):
            problems.append("no attempt failed: the faults are scripted in the mock, so run "
                            "this in mock mode (QWEN_MODE=mock)")
        else:
            problems.append(f"the call succeeded at attempt {len(outcome.attempts)}; with 2 "
                            "attempts it should give up after the second 429 and raise")
    elif isinstance(outcome, QwenError):
        if outcome.status != 429:
            problems.append(f"the error is {outcome.kind} {outcome.status}; expected the 429 of "
                            "the second attempt")
        if len(outcome.attempts) != 2:
            problems.append(f"it gave up after {len(outcome.attempts)} attempt(s), not 2")
    else:
        problems.append(f"outcome is a {type(outcome).__name__}: keep the RetryResult that "
                        "call_with_retry returned, or the QwenError it raised")
    return _report(problems, "the policy gave up after 2 attempts and the caller got the last "
                             "429 as a QwenError, with both attempts attached")


def check_cache_hit_rate(cache: Any, questions: list[str]) -> None:
    """07 · every question looked up once, and one call per question after normalising."""
    lookups = cache.hits + cache.misses
    different = len({" ".join(question.lower().split()) for question in questions})
    rate = f"hit rate {cache.hits / lookups:.0%} ({cache.hits} of {lookups})" if lookups else ""
    if lookups != len(questions):
        return _report([f"the cache saw {lookups} lookups for {len(questions)} questions; send "
                        "each question once through cached_call, with a new ResponseCache "
                        "each run"], "")
    if cache.misses > different:
        return _report([f"{rate}: {cache.misses} calls for {different} different questions. "
                        "Questions that differ only in case or spaces still miss: normalise "
                        "the question before the lookup"], "")
    if cache.misses < different:
        return _report([f"{rate}: only {cache.misses} calls for {different} different "
                        "questions, so different questions now share an answer; normalise "
                        "case and spaces only"], "")
    return _report([], f"{rate}: {cache.hits} calls saved")
