"""Gate 4 (R6, R7, S2, S3, F1, F4–F7): every fault reaches the learner as the right outcome.

Each fault the mock can play — a cut, a freeze, a malformed chunk, an in-band error, a stall,
a dropped connection, a refused port, a mock killed mid-answer — ends, in every client stack, in
a typed :class:`~qwen_helpers.errors.QwenError` of the right kind or an incomplete
:class:`~qwen_helpers.streaming.StreamResult`, well within its time budget. Afterwards no thread,
file descriptor, connection or child process is left behind, and the mock's active-stream gauge
is back to 0. Related, already pinned elsewhere: each SDK's own exception classes for these
faults (``tests/test_errors.py``, ``tests/test_mock_scenarios.py``), the streaming table
(``tests/test_streaming.py``), a busy port for ``MockServer`` and the command line
(``tests/test_mock_server.py``).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

import dashscope
import openai
import psutil
import pytest
from dashscope import AioGeneration, Generation

from qwen_helpers.errors import QwenError, to_qwen_error
from qwen_helpers.mock import DEMO_KEY, MockServer, wait_until_ready
from qwen_helpers.streaming import (
    StreamResult,
    acollect_dashscope,
    acollect_openai,
    collect_dashscope,
    collect_openai,
)

HELLO = [{"role": "user", "content": "Tell me a long story about the sea, please."}]
STACKS = ("openai", "openai-async", "dashscope-1.x", "dashscope-1.x-async", "dashscope-2.0")
TIMEOUT = 0.5
"""The client time-out of the stall and freeze cases (seconds)."""
BUDGET = TIMEOUT + 5.0
"""The most any fault case may take: a generous bound that only a hang exceeds."""
REPEAT = 20 if os.environ.get("QWEN_RELIABILITY_LONG") else 5
TALLY: Counter = Counter()


def resources() -> dict[str, int]:
    """Threads, open file descriptors, inet connections and live children of this process."""
    me = psutil.Process()
    return {"threads": threading.active_count(), "fds": me.num_fds(),
            "connections": len(me.net_connections(kind="inet")),
            "children": sum(c.status() != psutil.STATUS_ZOMBIE for c in me.children(True))}


@pytest.fixture(scope="module")
def baseline(mock_server):
    """What this process holds before the gate (the session's mock is already running)."""
    gc.collect()
    return resources()


@pytest.fixture(scope="module")
def faulty(baseline):
    """A fast mock of this module's own: faults, not pacing, decide each outcome."""
    with MockServer(ttft=0.0, tokens_per_second=2000.0) as server:
        yield server


@pytest.fixture
def scenario(faulty):
    """Make every next request of the demo key play ``sequence`` (no header needed)."""
    def play(sequence: str) -> MockServer:
        faulty.reset()
        faulty.set_scenario(sequence, key=DEMO_KEY)
        return faulty
    yield play
    faulty.reset()


# -- one stream and one call in each stack -----------------------------------------------------

def open_stream(stack: str, server: MockServer, timeout: float) -> StreamResult:
    """Stream one answer through ``stack`` and collect it with the course's helpers."""
    compatible, native = server.compatible_base_url, server.native_base_url
    if stack == "openai":
        client = openai.OpenAI(api_key=DEMO_KEY, base_url=compatible, max_retries=0,
                               timeout=timeout)
        with client:
            return collect_openai(lambda: client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True))
    if stack == "dashscope-1.x":
        return collect_dashscope(lambda: Generation.call(
            model="qwen-plus", messages=HELLO, stream=True, incremental_output=True,
            result_format="message", api_key=DEMO_KEY, base_address=native,
            request_timeout=timeout), incremental=True)
    if stack == "dashscope-2.0":
        with dashscope.Client(api_key=DEMO_KEY, base_url=native, max_retries=0,
                              timeout=timeout) as client:
            return collect_dashscope(lambda: client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True), incremental=True)
    return asyncio.run(_open_stream_async(stack, compatible, native, timeout))


async def _open_stream_async(stack: str, compatible: str, native: str,
                             timeout: float) -> StreamResult:
    if stack == "openai-async":
        async with openai.AsyncOpenAI(api_key=DEMO_KEY, base_url=compatible, max_retries=0,
                                      timeout=timeout) as client:
            return await acollect_openai(lambda: client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True))
    try:
        return await acollect_dashscope(lambda: AioGeneration.call(
            model="qwen-plus", messages=HELLO, stream=True, incremental_output=True,
            result_format="message", api_key=DEMO_KEY, base_address=native,
            request_timeout=timeout), incremental=True)
    finally:
        await dashscope.close_shared_aio_session()


def make_call(stack: str, server: MockServer, timeout: float) -> QwenError | None:
    """One non-streaming call through ``stack``: its QwenError, or None when it succeeded."""
    compatible, native = server.compatible_base_url, server.native_base_url
    try:
        if stack == "openai":
            with openai.OpenAI(api_key=DEMO_KEY, base_url=compatible, max_retries=0,
                               timeout=timeout) as client:
                outcome = client.chat.completions.create(model="qwen-plus", messages=HELLO)
        elif stack == "dashscope-1.x":
            outcome = Generation.call(model="qwen-plus", messages=HELLO, api_key=DEMO_KEY,
                                      base_address=native, request_timeout=timeout)
        elif stack == "dashscope-2.0":
            with dashscope.Client(api_key=DEMO_KEY, base_url=native, max_retries=0,
                                  timeout=timeout) as client:
                outcome = client.chat.completions.create(model="qwen-plus", messages=HELLO)
        else:
            outcome = asyncio.run(_call_async(stack, compatible, native, timeout))
    except Exception as exc:
        return to_qwen_error(exc)
    try:
        return to_qwen_error(outcome)
    except TypeError:  # a success
        return None


async def _call_async(stack: str, compatible: str, native: str, timeout: float):
    if stack == "openai-async":
        async with openai.AsyncOpenAI(api_key=DEMO_KEY, base_url=compatible, max_retries=0,
                                      timeout=timeout) as client:
            return await client.chat.completions.create(model="qwen-plus", messages=HELLO)
    try:
        return await AioGeneration.call(model="qwen-plus", messages=HELLO, api_key=DEMO_KEY,
                                        base_address=native, request_timeout=timeout)
    finally:
        await dashscope.close_shared_aio_session()


def timed(action):
    started = time.monotonic()
    outcome = action()
    return outcome, time.monotonic() - started


# -- broken streams: incomplete, with the right reason (S2, R6) --------------------------------

STREAM_FAULTS = {
    # fault: (error kind, partial text expected)
    "cut:0": ("connection", False),     # reset after the headers, before any chunk
    "cut:3": ("stream", True),          # reset mid-stream
    "freeze:3": ("stream", True),       # chunks, then silence longer than the read time-out
    "malformed:3": ("stream", True),    # a chunk that is not JSON
    "error:2": ("stream", True),        # the service's in-band error event
    "stall:5": ("timeout", False),      # accepted, then nothing before the time-out
    "drop": ("connection", False),      # closed before any byte of the answer
    "503": ("unavailable", False),      # refused with a status before the stream began
}


@pytest.mark.parametrize("fault", STREAM_FAULTS)
@pytest.mark.parametrize("stack", STACKS)
def test_a_broken_stream_is_incomplete_with_the_right_kind(scenario, stack, fault):
    kind, partial = STREAM_FAULTS[fault]
    TALLY["injected"] += 1
    result, elapsed = timed(lambda: open_stream(stack, scenario(fault), TIMEOUT))
    assert not result.complete, result.summary()
    assert isinstance(result.error, QwenError), repr(result.error)
    assert result.error.kind == kind, (result.error, result.chunks)
    assert bool(result.text) == partial
    if fault.startswith("error"):
        assert result.error.native_code == "DataInspectionFailed"
    assert elapsed < BUDGET
    TALLY["right"] += 1


# -- failed calls: a typed error of the right kind (R6, R7) ------------------------------------

CALL_FAULTS = {
    "drop": "connection", "cut": "connection", "stall:5": "timeout", "503": "unavailable",
    "429": "rate_limit", "500": "server", "504": "timeout", "400/InvalidParameter": "bad_request",
}


@pytest.mark.parametrize("fault", CALL_FAULTS)
@pytest.mark.parametrize("stack", STACKS)
def test_a_failed_call_is_a_typed_error_of_the_right_kind(scenario, stack, fault):
    TALLY["injected"] += 1
    error, elapsed = timed(lambda: make_call(stack, scenario(fault), TIMEOUT))
    assert isinstance(error, QwenError), f"{stack} {fault}: no error"
    assert error.kind == CALL_FAULTS[fault], error
    assert elapsed < BUDGET
    TALLY["right"] += 1


@pytest.mark.parametrize("stack", STACKS)
def test_a_refused_port_is_a_connection_error_that_names_nothing_secret(stack):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = MockServer(port=probe.getsockname()[1])  # never started: only its URLs
    TALLY["injected"] += 1
    error, elapsed = timed(lambda: make_call(stack, dead, TIMEOUT))
    assert error is not None and error.kind == "connection", error
    assert DEMO_KEY not in str(error) and elapsed < BUDGET
    TALLY["right"] += 1


def test_a_busy_port_fails_fast_and_says_what_to_do(faulty):
    TALLY["injected"] += 1
    with pytest.raises(RuntimeError) as raised:
        timed(lambda: MockServer(port=faulty.port).start())
    message = str(raised.value)
    assert f"127.0.0.1:{faulty.port}" in message and "port=0" in message
    assert faulty.state is not None  # the running mock is untouched
    TALLY["right"] += 1


# -- the consumer walks away: the mock's stream ends too (S3, F1) ------------------------------

@pytest.fixture(scope="module")
def slow(baseline):
    """A mock that takes seconds to finish an answer, so an abandoned stream would show."""
    with MockServer(ttft=0.0, tokens_per_second=20.0) as server:
        yield server


def settled(server: MockServer, seconds: float = 2.0) -> int:
    """The active-stream gauge once it stops falling (or after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while server.state.active_streams and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.state.active_streams


class Stop(Exception):
    """Raised by the consumer's own code inside the loop."""


def walk_away(stack: str, server: MockServer, how: str) -> None:
    """Take one chunk, then ``break`` (closing the stream) or raise inside the loop."""
    def on_text(piece: str) -> None:
        raise Stop(piece)

    if how == "raise":  # through the course's collectors: the stream is closed, Stop propagates
        with pytest.raises(Stop):
            if stack in ("openai", "dashscope-1.x", "dashscope-2.0"):
                _collect_raising(stack, server, on_text)
            else:
                asyncio.run(_acollect_raising(stack, server, on_text))
        return
    if stack == "openai":
        with openai.OpenAI(api_key=DEMO_KEY, base_url=server.compatible_base_url,
                           max_retries=0) as client, client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True) as stream:
            for _ in stream:
                break
    elif stack == "dashscope-1.x":
        responses = Generation.call(model="qwen-plus", messages=HELLO, stream=True,
                                    api_key=DEMO_KEY, base_address=server.native_base_url)
        for _ in responses:
            break
        responses.close()
    elif stack == "dashscope-2.0":
        with dashscope.Client(api_key=DEMO_KEY, base_url=server.native_base_url,
                              max_retries=0) as client:
            stream = client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                                    stream=True)
            for _ in stream:
                break
            stream.close()
    else:
        asyncio.run(_break_async(stack, server))


def _collect_raising(stack: str, server: MockServer, on_text) -> None:
    if stack == "openai":
        with openai.OpenAI(api_key=DEMO_KEY, base_url=server.compatible_base_url,
                           max_retries=0) as client:
            collect_openai(client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True), on_text=on_text)
    elif stack == "dashscope-1.x":
        collect_dashscope(Generation.call(
            model="qwen-plus", messages=HELLO, stream=True, incremental_output=True,
            api_key=DEMO_KEY, base_address=server.native_base_url), incremental=True,
            on_text=on_text)
    else:
        with dashscope.Client(api_key=DEMO_KEY, base_url=server.native_base_url,
                              max_retries=0) as client:
            collect_dashscope(client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True), incremental=True,
                on_text=on_text)


async def _acollect_raising(stack: str, server: MockServer, on_text) -> None:
    if stack == "openai-async":
        async with openai.AsyncOpenAI(api_key=DEMO_KEY, base_url=server.compatible_base_url,
                                      max_retries=0) as client:
            await acollect_openai(await client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True), on_text=on_text)
        return
    try:
        await acollect_dashscope(lambda: AioGeneration.call(
            model="qwen-plus", messages=HELLO, stream=True, incremental_output=True,
            api_key=DEMO_KEY, base_address=server.native_base_url), incremental=True,
            on_text=on_text)
    finally:
        await dashscope.close_shared_aio_session()


async def _break_async(stack: str, server: MockServer) -> None:
    if stack == "openai-async":
        async with openai.AsyncOpenAI(api_key=DEMO_KEY, base_url=server.compatible_base_url,
                                      max_retries=0) as client:
            async with await client.chat.completions.create(
                    model="qwen-plus", messages=HELLO, stream=True) as stream:
                async for _ in stream:
                    break
        return
    try:
        responses = await AioGeneration.call(model="qwen-plus", messages=HELLO, stream=True,
                                             api_key=DEMO_KEY,
                                             base_address=server.native_base_url)
        async for _ in responses:
            break
        await responses.aclose()
    finally:
        await dashscope.close_shared_aio_session()


@pytest.mark.parametrize("how", ["break", "raise"])
@pytest.mark.parametrize("stack", STACKS)
def test_a_consumer_that_stops_early_ends_the_mock_stream(slow, stack, how):
    for _ in range(REPEAT):
        walk_away(stack, slow, how)
        assert settled(slow) == 0, f"{stack}: the mock is still streaming to nobody"
    outcomes = Counter(e.get("outcome") for e in slow.requests())
    assert outcomes["complete"] == 0  # every stream was abandoned, none ran to its end
    slow.reset()


# -- the mock killed mid-answer, then restarted on the same port (F4) -------------------------

def start_cli(port: int = 0) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "qwen_helpers.mock", "--port", str(port), "--ttft", "0",
         "--tokens-per-second", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = process.stdout.readline().split()[3]
    assert wait_until_ready(url), process.stderr.read()
    return process, url


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    process.stdout.close()
    process.stderr.close()


def test_a_mock_killed_mid_stream_or_mid_call_is_a_typed_error_and_restarts_at_once():
    process, url = start_cli()
    port = int(url.rsplit(":", 1)[1])
    try:
        client = openai.OpenAI(api_key=DEMO_KEY, base_url=f"{url}/compatible-mode/v1",
                               max_retries=0, timeout=10)
        pieces: list[str] = []

        def on_text(piece: str) -> None:
            pieces.append(piece)
            if len(pieces) == 2:
                process.send_signal(signal.SIGKILL)

        TALLY["injected"] += 1
        with client:
            result, elapsed = timed(lambda: collect_openai(lambda: client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True), on_text=on_text))
        assert not result.complete and result.text and result.error.kind == "stream"
        assert elapsed < BUDGET
        TALLY["right"] += 1
        kill(process)
        process, url = start_cli(port)  # the same port, at once
        threading.Timer(0.3, process.send_signal, (signal.SIGKILL,)).start()
        TALLY["injected"] += 1
        error, elapsed = timed(lambda: to_qwen_error(_caught(lambda: Generation.call(
            model="qwen-plus", messages=HELLO, api_key=DEMO_KEY,
            base_address=f"{url}/api/v1", request_timeout=10,
            headers={"X-Mock-Scenario": "stall:30"}))))
        assert error.kind == "connection" and elapsed < BUDGET
        TALLY["right"] += 1
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        kill(process)


def _caught(call) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("the call did not fail")


# -- nothing left behind (F6) ------------------------------------------------------------------

def test_nothing_is_left_behind(faulty, slow, baseline, gate_run):
    faulty.stop()
    slow.stop()
    # dashscope 1.x keeps one requests.Session for the whole process (pooled connections, closed
    # at exit); a program that is done with it releases it like this, as with any client.
    dashscope.close_shared_sync_session()
    deadline = time.monotonic() + 5
    while True:
        gc.collect()
        now = resources()
        grown = {k: now[k] - baseline[k] for k in now}
        if (grown["threads"] <= 0 and grown["fds"] <= 2 and grown["connections"] <= 0
                and grown["children"] <= 0) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    gate_run["figures"]["faults (R6, R7, S2, F4)"] = (
        f"{TALLY['injected']} injected in {len(STACKS)} client stacks, {TALLY['right']} "
        "surfaced as the right typed error or incomplete result")
    gate_run["figures"]["left behind after the fault gate (F6)"] = (
        ", ".join(f"{k} {v:+d}" for k, v in grown.items()) + f" (baseline {baseline})")
    assert grown["threads"] <= 0 and grown["connections"] <= 0 and grown["children"] <= 0, (
        grown, psutil.Process().net_connections(kind="inet"))
    assert grown["fds"] <= 2, grown  # ± 2: a lazily opened file such as the tokenizer's
