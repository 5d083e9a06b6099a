"""The checks behind the notebooks' "Try it" exercises: each prints ✓ or ✗ and says why.

The lines are in the learner's language (:mod:`qwen_helpers.messages`, catalog
``qwen_helpers/catalog/exercises.py``).
"""

from __future__ import annotations

from typing import Any

from .messages import say


def _report(problems: list[str], success: str) -> None:
    for problem in problems:
        print(f"✗ {problem}")
    if not problems:
        print(f"✓ {success}")


def check_first_call(reply: Any) -> None:
    """00 · a reply from ``qwen-flash`` that finished normally."""
    problems = []
    if not hasattr(reply, "choices"):
        return _report([say("ex.first.not_a_reply", got=type(reply).__name__)], "")
    if reply.model != "qwen-flash":
        problems.append(say("ex.first.model", model=repr(reply.model)))
    if reply.choices[0].finish_reason != "stop":
        problems.append(say("ex.first.finish", reason=repr(reply.choices[0].finish_reason)))
    if not reply.choices[0].message.content:
        problems.append(say("ex.first.empty"))
    return _report(problems, say("ex.first.ok", tokens=reply.usage.completion_tokens))


def check_configuration(env: dict[str, str]) -> None:
    """01 · settings that load in live mode for a Singapore key (no network involved)."""
    from .config import ConfigError, load_settings

    try:
        settings = load_settings(env=env, dotenv=False)
    except ConfigError as error:
        return _report([str(error)], "")
    problems = []
    if settings.mode != "live":
        problems.append(say("ex.config.mode", mode=repr(settings.mode)))
    if settings.region != "ap-southeast-1":
        problems.append(say("ex.config.region", region=repr(settings.region)))
    return _report(problems, say("ex.config.ok", region=settings.region,
                                 url=settings.compatible_base_url))


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
    problems = [say("ex.reading.wrong", name=name, got=repr(answer.get(name)))
                for name in expected if answer.get(name) != expected[name]]
    return _report(problems, say("ex.reading.ok"))


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
    cases = [(say("ex.stream.plain"), [{"role": "user", "content": "你好"}], {}),
             (say("ex.stream.usage"),
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
            hint = {IndexError: say("ex.stream.hint_index"),
                    TypeError: say("ex.stream.hint_type")}.get(type(error), "")
            problems.append(say("ex.stream.raised", label=label, error=type(error).__name__,
                                detail=error, chunk=len(stream.chunks), hint=hint))
            continue
        finally:
            for _ in stream:  # read what the loop left, to know the right answer
                pass
            stream.stream.close()
        text = "".join(c.choices[0].delta.content or "" for c in stream.chunks if c.choices)
        expected = (text, len(stream.chunks))
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            problems.append(say("ex.stream.shape", label=label, got=type(got).__name__))
        elif tuple(got) != expected:
            problems.append(say("ex.stream.wrong", label=label, got_chars=len(str(got[0])),
                                got_chunks=got[1], chars=len(text), chunks=expected[1]))
        else:
            passed.append(say("ex.stream.passed", label=label, chars=len(text),
                              chunks=expected[1]))
    for line in passed:
        print(f"✓ {line}")
    return _report(problems, say("ex.stream.ok"))


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
        return _report([say("ex.retry.mock_only")], "")
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
        label = say("ex.retry.label", sequence=sequence, attempts=len(times))
        if len(times) != len(waits) + 1:
            problems.append(say("ex.retry.count", label=label, expected=len(waits) + 1))
        elif succeeded != succeeds:
            problems.append(say("ex.retry.returned" if succeeded else "ex.retry.raised",
                                label=label))
        elif any(not (0.5 * w <= g <= 1.25 * w + 0.3) for g, w in zip(gaps, waits, strict=False)):
            problems.append(say("ex.retry.waits", label=label, gaps=gaps, waits=list(waits)))
        else:
            passed.append(say("ex.retry.passed", label=label, gaps=gaps))
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
        return _report([say("ex.port.not_a_response", got=type(response).__name__)], "")
    if response.status_code != 200:
        return _report([say("ex.port.failed", status=response.status_code, code=response.code,
                            message=response.message)], "")
    if not response.output.choices:
        return _report([say("ex.port.text_format")], "")
    choice, expected = response.output.choices[0], reply.choices[0]
    problems = []
    entry = _mock_entry(response.request_id)
    if entry is not None and (entry.get("dialect"), entry.get("model")) != ("native", reply.model):
        problems.append(say("ex.port.dialect", dialect=entry.get("dialect"),
                            model=repr(entry.get("model")), expected=repr(reply.model)))
    if response.usage.input_tokens != reply.usage.prompt_tokens:
        problems.append(say("ex.port.tokens", got=response.usage.input_tokens,
                            expected=reply.usage.prompt_tokens))
    if (choice.finish_reason, response.usage.output_tokens) != (expected.finish_reason,
                                                                reply.usage.completion_tokens):
        problems.append(say("ex.port.finish", reason=repr(choice.finish_reason),
                            tokens=response.usage.output_tokens,
                            expected=repr(expected.finish_reason),
                            expected_tokens=reply.usage.completion_tokens))
    same_text = choice.message.content == expected.message.content
    if entry is not None and not same_text and not problems:
        problems.append(say("ex.port.text"))
    note = "" if same_text or entry is not None else say("ex.port.live_note")
    return _report(problems, say("ex.port.ok") + note)


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
    problems = [] if attempts == 2 else [say("ex.giveup.attempts", attempts=attempts)]
    if isinstance(outcome, RetryResult):
        if all(a.error is None for a in outcome.attempts):
            problems.append(say("ex.giveup.no_fault"))
        else:
            problems.append(say("ex.giveup.succeeded", attempt=len(outcome.attempts)))
    elif isinstance(outcome, QwenError):
        if outcome.status != 429:
            problems.append(say("ex.giveup.status", kind=outcome.kind, status=outcome.status))
        if len(outcome.attempts) != 2:
            problems.append(say("ex.giveup.count", attempts=len(outcome.attempts)))
    else:
        problems.append(say("ex.giveup.type", got=type(outcome).__name__))
    return _report(problems, say("ex.giveup.ok"))


def check_cache_hit_rate(cache: Any, questions: list[str]) -> None:
    """07 · every question looked up once, and one call per question after normalising."""
    lookups = cache.hits + cache.misses
    different = len({" ".join(question.lower().split()) for question in questions})
    rate = say("ex.cache.rate", rate=cache.hits / lookups, hits=cache.hits,
               lookups=lookups) if lookups else ""
    if lookups != len(questions):
        return _report([say("ex.cache.lookups", lookups=lookups, questions=len(questions))], "")
    if cache.misses > different:
        return _report([say("ex.cache.misses", rate=rate, misses=cache.misses,
                            different=different)], "")
    if cache.misses < different:
        return _report([say("ex.cache.merged", rate=rate, misses=cache.misses,
                            different=different)], "")
    return _report([], say("ex.cache.ok", rate=rate, saved=cache.hits))
