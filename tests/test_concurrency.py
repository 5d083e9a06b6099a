"""Running many requests: the in-flight bound, the RPM/TPM throttle on a fake clock, 429s."""

from __future__ import annotations

import asyncio
import threading

import openai
import pytest
from fakes import FakeTime
from hypothesis import given
from hypothesis import strategies as st

from qwen_helpers.concurrency import Outcome, Throttle, arun_all, run_all
from qwen_helpers.usage import estimate_tokens

HELLO = [{"role": "user", "content": "你好"}]
RATE_LIMITED = "mock-key-rate-limited"  # 3 requests a minute per model




def fake_throttle(fake: FakeTime, rpm: int | None = None, tpm: int | None = None) -> Throttle:
    return Throttle(rpm, tpm, clock=fake.clock, sleep=fake.sleep, async_sleep=fake.async_sleep)


class InFlight:
    """Counts calls running at once; a barrier makes ``bound`` of them overlap for sure."""

    def __init__(self, bound: int) -> None:
        self.current = self.peak = 0
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(bound)

    def __call__(self, item: int) -> int:
        with self._lock:
            self.current += 1
            self.peak = max(self.peak, self.current)
        try:
            self._barrier.wait(timeout=5)
            if item == 7:
                raise ValueError("item 7 fails")
            return item * item
        finally:
            with self._lock:
                self.current -= 1


def test_run_all_keeps_the_bound_and_the_order():
    fn = InFlight(4)
    outcomes = run_all(fn, range(20), concurrency=4)
    assert fn.peak == 4
    assert [o.index for o in outcomes] == list(range(20))
    assert [o.value for o in outcomes if o.ok] == [i * i for i in range(20) if i != 7]
    assert isinstance(outcomes[7].error, ValueError) and not outcomes[7].ok
    with pytest.raises(ValueError, match="item 7"):
        outcomes[7].unwrap()


def test_arun_all_keeps_the_bound_and_the_order():
    state = {"current": 0, "peak": 0}

    async def fn(item: int) -> int:
        state["current"] += 1
        state["peak"] = max(state["peak"], state["current"])
        await asyncio.sleep(0)  # let the others start
        await asyncio.sleep(0)
        state["current"] -= 1
        if item == 3:
            raise RuntimeError("item 3 fails")
        return -item

    outcomes = asyncio.run(arun_all(fn, range(12), concurrency=3))
    assert state["peak"] == 3
    assert [o.value for o in outcomes] == [None if i == 3 else -i for i in range(12)]
    assert isinstance(outcomes[3].error, RuntimeError)


def test_the_throttle_spaces_requests_a_minute_apart():
    fake = FakeTime()
    starts: list[float] = []
    outcomes = run_all(lambda item: starts.append(fake.clock()), range(7), concurrency=1,
                       throttle=fake_throttle(fake, rpm=3))
    assert starts == [0, 0, 0, 60, 60, 60, 120]
    assert [o.waited for o in outcomes] == [0, 0, 0, 60, 0, 0, 60]
    assert fake.sleeps == [60, 60]


def test_the_token_budget_holds_a_call_back_until_tokens_leave_the_window():
    fake = FakeTime()
    throttle = fake_throttle(fake, tpm=100)
    assert [throttle.acquire(40) for _ in range(2)] == [0, 0]
    fake.now = 10
    assert throttle.delay(40) == 50  # the first 40 tokens leave the window at t=60
    assert throttle.acquire(40) == 50 and fake.now == 60
    with pytest.raises(ValueError, match="can never fit"):
        throttle.acquire(101)


def test_async_throttle_uses_the_async_sleep():
    fake = FakeTime()
    outcomes = asyncio.run(arun_all(_echo, range(5), concurrency=2, tokens_of=lambda _: 30,
                                    throttle=fake_throttle(fake, tpm=60)))
    assert [o.value for o in outcomes] == list(range(5)) and sum(fake.sleeps) == 120


async def _echo(item: int) -> int:
    return item


@given(st.lists(st.tuples(st.floats(0, 30), st.integers(0, 50)), min_size=1, max_size=30),
       st.integers(1, 5), st.integers(50, 200))
def test_no_window_ever_holds_more_than_the_budget(calls, rpm, tpm):
    fake = FakeTime()
    throttle = fake_throttle(fake, rpm=rpm, tpm=tpm)
    started: list[tuple[float, int]] = []
    for gap, tokens in calls:
        fake.now += gap
        throttle.acquire(tokens)
        started.append((fake.now, tokens))
    for begin, _ in started:
        window = [n for t, n in started if begin <= t < begin + 60]
        assert len(window) <= rpm and sum(window) <= tpm


def test_bad_settings_say_what_to_do():
    with pytest.raises(ValueError, match="at least 1"):
        run_all(abs, [1], concurrency=0)
    with pytest.raises(ValueError, match="not both"):
        run_all(abs, [1], rpm=3, throttle=Throttle(rpm=3))
    with pytest.raises(ValueError, match="positive"):
        Throttle(rpm=0)


def ask(client: openai.OpenAI):
    def call(item: int):
        return client.chat.completions.create(model="qwen-plus", messages=HELLO)
    return call


def test_unthrottled_requests_get_429_from_the_mock(mock):
    client = openai.OpenAI(api_key=RATE_LIMITED, base_url=mock.compatible_base_url, max_retries=0)
    outcomes = run_all(ask(client), range(6), concurrency=6)
    assert sum(o.ok for o in outcomes) == 3
    assert all(isinstance(o.error, openai.RateLimitError) for o in outcomes if not o.ok)
    assert sorted(e["status"] for e in mock.requests()) == [200, 200, 200, 429, 429, 429]


def test_throttled_requests_get_no_429(mock):
    """rpm=3 on a fake clock, where each fake wait also empties the mock's real-time window.

    One call at a time, so every earlier call has ended when a fake minute passes; with several
    in flight, a call admitted in one fake minute could still reach the mock after the reset.
    """
    client = openai.OpenAI(api_key=RATE_LIMITED, base_url=mock.compatible_base_url, max_retries=0)
    fake = FakeTime()
    fake.on_sleep = mock.state.limiter.reset  # the minute has passed for the mock too
    tokens = estimate_tokens(HELLO, model="qwen-plus")
    outcomes = run_all(ask(client), range(6), concurrency=1, tokens_of=lambda _: tokens,
                       throttle=fake_throttle(fake, rpm=3))
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert [e["status"] for e in mock.requests()] == [200] * 6
    assert [o.waited for o in outcomes] == [0, 0, 0, 60, 0, 0]


def test_async_against_the_mock(mock):
    async def run() -> list[Outcome]:
        client = openai.AsyncOpenAI(api_key=RATE_LIMITED, base_url=mock.compatible_base_url,
                                    max_retries=0)
        async with client:
            return await arun_all(
                lambda item: client.chat.completions.create(model="qwen-plus", messages=HELLO),
                range(5), concurrency=5)

    outcomes = asyncio.run(run())
    assert sum(o.ok for o in outcomes) == 3
    assert all(o.error.status_code == 429 for o in outcomes if not o.ok)
