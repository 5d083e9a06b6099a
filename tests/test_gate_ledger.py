"""Gate 6 (U1–U3): nothing lost in the ledger, the request log and the cache.

Already pinned: ledger rows for each SDK's answer and Σ ledger = Σ mock for plain calls
(``tests/test_usage.py``), a broken openai stream and a 2.0 in-band error as unknown usage
(``test_streams_that_break_on_the_wire_have_unknown_usage``,
``test_a_dashscope_2_in_stream_error_has_unknown_usage``), one log line per logged outcome with
its fields and no key (``tests/test_logs.py``), failures never cached for openai and 1.x, a few
corrupted files read as misses, atomic writes from ten threads (``tests/test_cache.py``). This
gate adds: one row and one line per *attempt* of a retried call in every stack (through
``call_with_retry(on_attempt=…)``), broken streams from every stack as incomplete and never
zero, the 2.0 Client's failures and incomplete streams never cached, any corruption of a cache
file read as a miss, and a request log that still parses after its writer is killed.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace

import pytest
from dashscope import Generation
from fakes import FakeTime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qwen_helpers.cache import ResponseCache, cached_call
from qwen_helpers.clients import async_openai_client, dashscope_client, openai_client
from qwen_helpers.config import load_settings
from qwen_helpers.errors import QwenError
from qwen_helpers.logs import REQUEST_FIELDS, RequestLogger
from qwen_helpers.mock import DEMO_KEY, MockServer
from qwen_helpers.retry import RetryPolicy, acall_with_retry, call_with_retry
from qwen_helpers.streaming import collect_dashscope, collect_openai
from qwen_helpers.usage import Ledger, price_of

HELLO = [{"role": "user", "content": "你好"}]
STACKS = ("openai", "openai-async", "dashscope-1.x", "dashscope-2.0")
LINE_FIELDS = {"time", "level", "message", *REQUEST_FIELDS}




@pytest.fixture(scope="module")
def books():
    """A mock of this module's own, so its request log holds only this gate's requests."""
    with MockServer(ttft=0.0, tokens_per_second=100_000.0) as server:
        yield server


@pytest.fixture
def wire(books):
    books.reset()
    yield replace(load_settings({}, dotenv=False), compatible_base_url=books.compatible_base_url,
                  native_base_url=books.native_base_url)
    books.reset()


def retried_call(stack: str, settings, policy: RetryPolicy, on_attempt) -> object:
    """One call through ``stack``, retried by the helper, reporting every attempt."""
    fake = FakeTime()
    if stack == "openai-async":
        async def run():
            async with async_openai_client(settings, retry_owner="helper") as client:
                return await acall_with_retry(
                    lambda: client.chat.completions.create(model="qwen-plus", messages=HELLO),
                    policy=policy, sleep=fake.asleep, clock=fake.clock, on_attempt=on_attempt)
        return asyncio.run(run())
    if stack == "openai":
        client = openai_client(settings, retry_owner="helper")
        fn = lambda: client.chat.completions.create(model="qwen-plus", messages=HELLO)  # noqa: E731
    elif stack == "dashscope-1.x":
        fn = lambda: Generation.call(model="qwen-plus", messages=HELLO, api_key=DEMO_KEY,  # noqa: E731
                                     base_address=settings.native_base_url)
    else:
        client = dashscope_client(settings, retry_owner="helper")
        fn = lambda: client.chat.completions.create(model="qwen-plus", messages=HELLO)  # noqa: E731
    return call_with_retry(fn, policy=policy, sleep=fake.sleep, clock=fake.clock,
                           on_attempt=on_attempt)


def keeper(ledger: Ledger, log: RequestLogger):
    """The ``on_attempt`` that writes one ledger row and one log line per attempt."""
    def record(attempt, outcome) -> None:
        ledger.record(outcome, model="qwen-plus", latency=attempt.duration,
                      attempt=attempt.number)
        log.log(outcome, model="qwen-plus", latency=attempt.duration, attempt=attempt.number)
    return record


# -- U1, U3: one ledger row and one log line per attempt -------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_a_retried_call_leaves_one_row_and_one_line_per_attempt(wire, books, stack):
    ledger, stream = Ledger(), io.StringIO()
    books.set_scenario("429,503,200", key=DEMO_KEY)
    result = retried_call(stack, wire, RetryPolicy(max_attempts=4),
                          keeper(ledger, RequestLogger(stream)))
    sent = books.requests()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(result.attempts) == len(ledger.records) == len(lines) == len(sent) == 3
    assert [r.status for r in ledger.records] == [e["status"] for e in sent] == [429, 503, 200]
    assert [r.attempt for r in ledger.records] == [line["attempt"] for line in lines] == [1, 2, 3]
    assert [line.get("status") for line in lines] == [429, 503, 200]
    assert [r.request_id for r in ledger.records] == [e["request_id"] for e in sent]
    assert [line["request_id"] for line in lines] == [e["request_id"] for e in sent]
    assert all(r.usage_known for r in ledger.records)  # refused with a status: 0, and known
    assert all(line.get("error_code") for line in lines[:2]) and "error_code" not in lines[2]
    assert all(set(line) <= LINE_FIELDS and "latency" in line for line in lines)
    total = ledger.totals()[-1]
    billed = sent[-1]["usage"]
    assert (total["input_tokens"], total["output_tokens"]) == (billed["input_tokens"],
                                                               billed["output_tokens"])
    assert total["calls"] == 3 and total["errors"] == 2 and total["cost"] is not None


@pytest.mark.parametrize("stack", STACKS)
def test_a_call_that_gives_up_is_booked_attempt_by_attempt_and_as_a_whole(wire, books, stack):
    ledger, stream = Ledger(), io.StringIO()
    books.set_scenario("503", key=DEMO_KEY)
    with pytest.raises(QwenError) as raised:
        retried_call(stack, wire, RetryPolicy(max_attempts=3),
                     keeper(ledger, RequestLogger(stream)))
    assert len(ledger.records) == len(stream.getvalue().splitlines()) == len(books.requests()) == 3
    whole = Ledger().record(raised.value, model="qwen-plus")  # the QwenError call_with_retry raised
    assert (whole.status, whole.usage_known, whole.cost(price_of("qwen-plus"))) == (503, True, 0)


# -- U1: a broken stream is incomplete and its usage unknown, never zero ----------------------

def broken_stream(stack: str, settings, scenario: str):
    if stack == "openai":
        return collect_openai(lambda: openai_client(settings, timeout=2).chat.completions.create(
            model="qwen-plus", messages=HELLO, stream=True,
            stream_options={"include_usage": True}))
    if stack == "dashscope-1.x":
        return collect_dashscope(lambda: Generation.call(
            model="qwen-plus", messages=HELLO, stream=True, incremental_output=True,
            api_key=DEMO_KEY, base_address=settings.native_base_url), incremental=True)
    with dashscope_client(settings, retry_owner="helper") as client:
        return collect_dashscope(lambda: client.chat.completions.create(
            model="qwen-plus", messages=HELLO, stream=True), incremental=True)


@pytest.mark.parametrize("scenario", ["cut:3", "error:2", "malformed:3"])
@pytest.mark.parametrize("stack", ["openai", "dashscope-1.x", "dashscope-2.0"])
def test_a_broken_stream_is_booked_as_unknown_never_zero(wire, books, stack, scenario):
    books.set_scenario(scenario, key=DEMO_KEY)
    result = broken_stream(stack, wire, scenario)
    assert not result.complete and result.text
    ledger, stream = Ledger(), io.StringIO()
    row = ledger.record(result, model="qwen-plus")
    line = RequestLogger(stream).log(result, model="qwen-plus")
    assert not row.usage_known and row.cost(price_of("qwen-plus")) is None
    assert row.output_tokens != 0 and row.input_tokens != 0  # unknown (None) or an estimate
    assert ledger.totals()[-1]["cost"] is None and ledger.totals()[-1]["unknown_usage"] == 1
    assert line["error_kind"] == "stream" and line["request_id"] == row.request_id
    if scenario.startswith("error"):  # the in-band error's DashScope code reaches the books
        assert row.error in ("DataInspectionFailed", "data_inspection_failed")
        assert line["error_code"] == row.error


# -- U2: the cache never stores a failure, and a corrupted file is a miss ---------------------

def test_the_2_0_client_failures_and_incomplete_streams_are_never_cached(wire, books, tmp_path):
    cache = ResponseCache(tmp_path)
    books.set_scenario("429,drop,cut:3", key=DEMO_KEY)
    with dashscope_client(wire, retry_owner="helper") as client:
        for _ in range(2):
            with pytest.raises(Exception):  # noqa: B017 - RateLimitError, then a transport error
                cached_call(cache, client.chat.completions.create, model="qwen-plus",
                            messages=HELLO)
        partial = cached_call(cache, lambda **request: collect_dashscope(
            client.chat.completions.create(stream=True, **request), incremental=True),
            model="qwen-plus", messages=HELLO)
    assert not partial.cached and not partial.response.complete
    assert list(tmp_path.glob("*.json")) == [] and cache.hits == 0


def test_a_complete_stream_result_is_cached_and_an_incomplete_one_is_not(wire, books, tmp_path):
    cache = ResponseCache(tmp_path)
    client = openai_client(wire, retry_owner="helper")

    def ask(**request):
        return collect_openai(client.chat.completions.create(stream=True, **request))

    books.set_scenario("cut:3,200", key=DEMO_KEY)
    broken = cached_call(cache, ask, model="qwen-plus", messages=HELLO)
    whole = cached_call(cache, ask, model="qwen-plus", messages=HELLO)
    again = cached_call(cache, ask, model="qwen-plus", messages=HELLO)
    assert not broken.response.complete and not broken.cached
    assert not whole.cached and again.cached and again.response["complete"] is True
    assert len(books.requests()) == 2


entries = st.one_of(
    st.binary(max_size=200),
    st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                     st.sampled_from(["stored_at", "response", "request", "x"]), inner,
                     max_size=4), max_leaves=8).map(
        lambda value: json.dumps(value, allow_nan=True).encode()),
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=entries)
def test_any_corruption_of_a_cache_file_is_a_miss_never_a_crash(tmp_path, content):
    now = 1_000_000.0
    cache = ResponseCache(tmp_path, ttl=3600, clock=lambda: now)
    (tmp_path / "k.json").write_bytes(content)
    hit = cache.get("k")
    if hit is not None:  # only a whole entry, stored in the last hour, is a hit
        data = json.loads(content)
        assert math.isfinite(hit.stored_at) and now - 3600 < hit.stored_at <= now + 60
        assert hit.response == data["response"]


# -- U3: the request log still parses after its writer is killed ------------------------------

WRITER = textwrap.dedent("""
    import sys
    from qwen_helpers.logs import RequestLogger
    from qwen_helpers.errors import QwenError
    log = RequestLogger(sys.argv[1])
    n = 0
    print("ready", flush=True)
    while True:
        n += 1
        log.log(QwenError("rate_limit", "slow down " * 20, status=429, code="Throttling"),
                model="qwen-plus", latency=0.1, attempt=n)
""")


def test_the_request_log_parses_line_by_line_after_a_sigkill(tmp_path):
    path = tmp_path / "requests.jsonl"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], text=True,
                              stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(0.3)  # let it write a few thousand lines
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    writer.stdout.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 10
    attempts = [json.loads(line)["attempt"] for line in lines]
    assert attempts == list(range(1, len(lines) + 1))  # none lost, none torn, in order
