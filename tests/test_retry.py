"""retry: the rule table, the backoff, and the loop — on a fake clock, and against the mock."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time

import dashscope
import openai
import pytest
from dashscope import Generation
from fakes import FakeTime, fake_key
from hypothesis import given, settings
from hypothesis import strategies as st

from qwen_helpers.errors import KINDS, QwenError, raise_for_response, to_qwen_error
from qwen_helpers.mock.errors import CATALOG
from qwen_helpers.retry import (
    DEFAULT_POLICY,
    RULES,
    RetryPolicy,
    acall_with_retry,
    backoff,
    backoff_band,
    call_with_retry,
    decide,
    matching_rule,
    parse_retry_after,
    tenacity_retrying,
)

HELLO = [{"role": "user", "content": "你好"}]




# -- the table: every status and code of docs/sources.md §6.2 and the mock's catalogue ------------

# (status, code as on the wire, retried?, deciding rule)
CASES = [
    (400, "InvalidParameter", False, "bad_request"),
    (400, "invalid_parameter_error", False, "bad_request"),
    (400, "InternalError.Algo.InvalidParameter", False, "bad_request"),
    (400, "BadRequest.EmptyInput", False, "bad_request"),
    (400, "BadRequest.EmptyParameters", False, "bad_request"),
    (400, "BadRequest.EmptyModel", False, "bad_request"),
    (400, "invalid_request_error", False, "bad_request"),
    (400, "DataInspectionFailed", False, "content_filtered"),
    (400, "data_inspection_failed", False, "content_filtered"),
    (400, "Arrearage", False, "billing"),
    (401, "InvalidApiKey", False, "unauthorized"),
    (401, "invalid_api_key", False, "unauthorized"),
    (403, "AccessDenied", False, "forbidden"),
    (403, "access_denied", False, "forbidden"),
    (403, "AccessDenied.Unpurchased", False, "forbidden"),
    (403, "Model.AccessDenied", False, "forbidden"),
    (403, "Workspace.AccessDenied", False, "forbidden"),
    (403, "App.AccessDenied", False, "forbidden"),
    (403, "AllocationQuota.FreeTierOnly", False, "free_tier_exhausted"),
    (404, "ModelNotFound", False, "not_found"),
    (404, "model_not_found", False, "not_found"),
    (404, "model_not_supported", False, "not_found"),
    (408, None, True, "request_timeout"),
    (409, None, True, "conflict"),
    (413, None, False, "too_large"),
    (422, None, False, "other_client_error"),
    (429, "Throttling", True, "request_rate"),
    (429, "Throttling.RateQuota", True, "request_rate"),
    (429, "limit_requests", True, "request_rate"),
    (429, "Throttling.BurstRate", True, "request_rate"),
    (429, "limit_burst_rate", True, "request_rate"),
    (429, "Throttling.AllocationQuota", True, "tokens_per_minute"),
    (429, "insufficient_quota", True, "tokens_per_minute"),
    (429, "CommodityNotPurchased", False, "billing"),
    (429, "PrepaidBillOverdue", False, "billing"),
    (429, "PostpaidBillOverdue", False, "billing"),
    (429, None, True, "too_many_requests"),
    (500, "InternalError", True, "server_error"),
    (500, "internal_error", True, "server_error"),
    (500, "InternalError.Algo", True, "server_error"),
    (500, "SystemError", True, "server_error"),
    (500, "ModelServiceFailed", True, "server_error"),
    (500, "ModelServingError", True, "server_error"),
    (500, "InternalError.Timeout", True, "model_too_slow"),
    (500, "RequestTimeOut", True, "model_too_slow"),
    (502, None, True, "unavailable"),
    (503, "ModelUnavailable", True, "unavailable"),
    (503, "ModelServingError", True, "unavailable"),
    (504, None, True, "gateway_timeout"),
    (504, "GatewayTimeout", True, "gateway_timeout"),
    (505, None, True, "other_server_error"),
]
POLICY = RetryPolicy(max_attempts=3, jitter="none")  # waits of exactly 1 s, then 2 s


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# variant → (headers, what happens to a retried row: "backoff" | a fixed wait | "stop" | "retry")
VARIANTS = {
    "no header": ({}, "backoff"),
    "seconds": ({"Retry-After": "2"}, 2.0),
    "milliseconds": ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
    "http date": ({"Retry-After": "in 10 s, as a date"}, "date"),  # made when the test runs
    "over the cap": ({"Retry-After": "3600"}, "stop"),
    "garbage": ({"Retry-After": "soon, maybe"}, "backoff"),
    "x-should-retry true": ({"x-should-retry": "true"}, "retry"),
    "x-should-retry false": ({"x-should-retry": "false"}, "stop"),
}


def test_the_table_covers_the_mock_catalogue():
    covered = {code for _, code, _, _ in CASES}
    for entry in CATALOG.values():
        assert {entry.code, entry.compat_code} <= covered, entry.code


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("status", "code", "retried", "rule"), CASES,
                         ids=[f"{s}-{c}" for s, c, _, _ in CASES])
def test_every_status_and_code_with_every_retry_after(status, code, retried, rule, variant):
    headers, effect = VARIANTS[variant]
    if effect == "date":
        headers = {"Retry-After": http_date(10)}
    fake = FakeTime()

    def fn():
        return {"status_code": status, "code": code, "message": "m", "headers": headers}

    with pytest.raises(QwenError) as raised:
        call_with_retry(fn, policy=POLICY, sleep=fake.sleep, clock=fake.clock)
    attempts = raised.value.attempts
    first = attempts[0].decision
    if effect == "stop":
        assert len(attempts) == 1 and fake.sleeps == [] and not first.retry
        return
    if effect == "retry" and status in (401, 403):  # R1: a key or a permission never retried
        assert len(attempts) == 1 and fake.sleeps == [] and first.rule.name == rule
        return
    if effect == "retry" or retried:
        assert len(attempts) == POLICY.max_attempts
        assert first.rule.name == ("server_says_retry" if effect == "retry" else rule)
        if effect in ("backoff", "retry"):
            assert fake.sleeps == [1.0, 2.0]
        elif effect == "date":
            assert all(8.0 <= wait <= 10.0 for wait in fake.sleeps) and len(fake.sleeps) == 2
        else:
            assert fake.sleeps == [effect, effect]
    else:
        assert len(attempts) == 1 and fake.sleeps == [] and first.rule.name == rule
    assert attempts[-1].wait is None  # never a sleep after the last attempt


# -- the rules themselves ----------------------------------------------------------------------

def test_rules_are_named_explained_and_end_in_a_catch_all():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names)) and all(rule.reason for rule in RULES)
    assert RULES[-1].condition == "anything else" and not RULES[-1].retry
    for kind in set(KINDS) - {"unknown"}:  # each kind has a rule of its own, status or not
        assert matching_rule(QwenError(kind, "m")) is not RULES[-1], kind
    assert "Throttling.AllocationQuota / insufficient_quota" in next(
        r for r in RULES if r.name == "tokens_per_minute").condition


def test_a_broken_stream_is_never_retried_even_if_the_server_says_so():
    error = QwenError("stream", "Output data may contain inappropriate content.",
                      code="DataInspectionFailed", should_retry=True)
    decision = decide(error, 1, DEFAULT_POLICY)
    assert not decision.retry and decision.rule.name == "stream_started"


def test_time_outs_and_dropped_connections_are_retried():
    for kind in ("timeout", "connection"):
        decision = decide(QwenError(kind, "m"), 1, POLICY)
        assert decision.retry and decision.wait == 1.0 and "attempt 2 of 3" in decision.reason


def test_decisions_explain_giving_up():
    error = QwenError("rate_limit", "m", status=429, code="Throttling.RateQuota")
    assert "attempt 3 of 3: giving up" in decide(error, 3, POLICY).reason
    late = decide(error, 1, RetryPolicy(deadline=5.0, jitter="none"), elapsed=4.5)
    assert not late.retry and "deadline" in late.reason


# -- backoff and Retry-After -------------------------------------------------------------------

def test_backoff_follows_the_document_then_caps():
    policy = RetryPolicy(jitter="none", max_attempts=10)
    assert [backoff(n, policy) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_band(3, RetryPolicy(jitter="equal")) == (2.0, 4.0)
    assert backoff_band(3, RetryPolicy(jitter="full")) == (0.0, 4.0)
    assert backoff(5000, policy) == 8.0  # no overflow
    with pytest.raises(ValueError, match="numbered from 1"):
        backoff(0)


def test_policy_mistakes_say_what_is_allowed():
    with pytest.raises(ValueError, match=r"jitter='decorrelated' \(allowed: none, full, equal\)"):
        RetryPolicy(jitter="decorrelated")
    with pytest.raises(ValueError, match="max_attempts=0"):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, None), (None, None),
    ({"Retry-After": "3"}, 3.0), ({"retry-after": "0.5"}, 0.5),
    ({"Retry-After-Ms": "250"}, 0.25), ({"retry-after-ms": "x", "retry-after": "2"}, 2.0),
    ({"retry-after": "-1"}, None), ({"retry-after": "nan"}, None), ({"retry-after": ""}, None),
    ({"retry-after": "1e999"}, float("inf")), ({"retry-after": "soon"}, None),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
])
def test_parse_retry_after(headers, expected):
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_reads_an_http_date():
    now = 1_700_000_000.0
    assert parse_retry_after({"Retry-After": email.utils.formatdate(now + 30, usegmt=True)},
                             now=now) == 30.0


@given(st.dictionaries(st.sampled_from(["retry-after", "Retry-After", "retry-after-ms", "x"]),
                       st.text(max_size=40)))
def test_parse_retry_after_never_raises(headers):
    result = parse_retry_after(headers)
    assert result is None or result >= 0


# -- properties of the loop, on a fake clock ---------------------------------------------------

RETRYABLE = [(429, "Throttling.RateQuota"), (500, "InternalError"), (503, "ModelUnavailable"),
             (504, None), (None, "timeout"), (None, "connection")]
FINAL = [(400, "InvalidParameter"), (401, "InvalidApiKey"), (404, "ModelNotFound"),
         (400, "Arrearage"), (None, "stream")]

policies = st.builds(
    RetryPolicy, max_attempts=st.integers(1, 8), base=st.floats(0, 5),
    multiplier=st.floats(1, 4), cap=st.floats(0, 30), jitter=st.sampled_from(["none", "full",
                                                                             "equal"]),
    max_server_wait=st.floats(0, 60), deadline=st.none() | st.floats(0.5, 120))
outcome = st.tuples(
    st.sampled_from(["ok", "final"] + ["retryable"] * 4), st.integers(0, 5),
    st.floats(0, 10), st.none() | st.floats(0, 90))  # (what, which, duration, retry_after)


def make_error(what: str, which: int, retry_after: float | None) -> QwenError:
    table = RETRYABLE if what == "retryable" else FINAL
    status, code = table[which % len(table)]
    if status is None:
        return QwenError(code, "m", retry_after=retry_after)
    return to_qwen_error({"status_code": status, "code": code, "message": "m",
                          "headers": {} if retry_after is None else
                          {"retry-after-ms": str(retry_after * 1000)}})


@settings(max_examples=300, deadline=None)
@given(policy=policies, script=st.lists(outcome, min_size=1, max_size=12),
       seed=st.integers(0, 2**32))
def test_loop_properties(policy, script, seed):
    fake, calls = FakeTime(), []

    def fn():
        what, which, duration, retry_after = script[min(len(calls), len(script) - 1)]
        calls.append(fake.now)
        fake.now += duration
        if what == "ok":
            return "answer"
        raise make_error(what, which, retry_after)

    try:
        result = call_with_retry(fn, policy=policy, sleep=fake.sleep, clock=fake.clock,
                                 rng=random.Random(seed))
        attempts, failed = result.attempts, False
        assert result.value == "answer"
    except QwenError as error:
        attempts, failed = error.attempts, True
        assert attempts[-1].error is error and not attempts[-1].decision.retry
    assert 1 <= len(attempts) == len(calls) <= policy.max_attempts
    assert [a.wait for a in attempts[:-1]] == fake.sleeps  # slept exactly as decided …
    assert attempts[-1].wait is None  # … and never after the last attempt
    for attempt in attempts[:-1]:
        error = attempt.error
        if error.retry_after is not None:
            assert attempt.wait == error.retry_after <= policy.max_server_wait
        else:
            low, high = backoff_band(attempt.number, policy)
            assert low <= attempt.wait <= high
    if policy.deadline is not None:  # every wait ends before the deadline
        for attempt in attempts[:-1]:
            assert attempt.started_at + attempt.duration + attempt.wait < policy.deadline
        assert fake.now <= policy.deadline + max(d for _, _, d, _ in script)
    # the first success or lasting failure ends the loop
    stops = [i for i, step in enumerate(script) if step[0] in ("ok", "final")]
    if stops and stops[0] < len(attempts):
        assert len(attempts) == stops[0] + 1
    assert failed == (script[min(len(attempts), len(script)) - 1][0] != "ok")


def test_the_default_policy_has_a_finite_budget():
    fake = FakeTime()

    def rate_limited():  # every answer: 429 with the longest Retry-After honoured (60 s)
        fake.now += 0.5
        raise make_error("retryable", 0, 60.0)

    with pytest.raises(QwenError) as caught:
        call_with_retry(rate_limited, sleep=fake.sleep, clock=fake.clock)
    assert DEFAULT_POLICY.deadline is not None
    assert fake.sleeps == [60.0] and fake.now <= DEFAULT_POLICY.deadline  # not 3 × 60 s
    assert len(caught.value.attempts) == 2 and "deadline" in caught.value.attempts[-1] \
        .decision.reason


def test_a_bug_in_the_called_code_passes_through_at_once():
    fake = FakeTime()
    with pytest.raises(KeyError):
        call_with_retry(lambda: {}["choices"], sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == []


# -- against the mock, with each SDK's own retries off ----------------------------------------

def test_openai_call_with_retry_against_the_mock(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    fake = FakeTime()
    result = call_with_retry(
        lambda: client.chat.completions.create(
            model="qwen-plus", messages=HELLO, extra_headers={"X-Mock-Scenario": "429,429,200"}),
        sleep=fake.sleep, clock=fake.clock, rng=random.Random(1))
    assert result.value.choices[0].message.content
    log = mock.requests()
    assert [(e["status"], e["retry_count"]) for e in log] == [(429, 0), (429, 0), (200, 0)]
    assert [a.error.code if a.error else None for a in result.attempts] == [
        "limit_requests", "limit_requests", None]
    assert [a.decision.rule.name for a in result.attempts[:2]] == ["request_rate"] * 2
    assert len(fake.sleeps) == 2 and 0 <= fake.sleeps[0] <= 1 and 0 <= fake.sleeps[1] <= 2
    assert "attempt 3: ok" in result.summary()


def test_giving_up_raises_the_last_error_with_the_history(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    fake = FakeTime()
    with pytest.raises(QwenError) as raised:
        call_with_retry(lambda: client.chat.completions.create(
            model="qwen-plus", messages=HELLO, extra_headers={"X-Mock-Scenario": "503*5"}),
            policy=RetryPolicy(max_attempts=3), sleep=fake.sleep, clock=fake.clock)
    assert len(mock.requests()) == 3 and len(fake.sleeps) == 2
    error = raised.value
    assert (error.kind, error.status, len(error.attempts)) == ("unavailable", 503, 3)
    assert "Gave up after 3 attempt(s)" in str(error)
    assert isinstance(error.__cause__, openai.InternalServerError)


def test_a_lasting_failure_is_tried_once(mock, key):
    client = openai.OpenAI(api_key="mock-key-arrears", base_url=mock.compatible_base_url,
                           max_retries=0)
    fake = FakeTime()
    with pytest.raises(QwenError) as raised:
        call_with_retry(lambda: client.chat.completions.create(model="qwen-plus",
                                                               messages=HELLO),
                        sleep=fake.sleep, clock=fake.clock)
    assert raised.value.attempts[0].decision.rule.name == "billing"
    assert len(mock.requests()) == 1 and fake.sleeps == []


def test_module_api_error_responses_are_retried(mock, key):
    fake = FakeTime()
    result = call_with_retry(lambda: Generation.call(
        model="qwen-plus", messages=HELLO, api_key=key, base_address=mock.native_base_url,
        headers={"X-Mock-Scenario": "503,500,200"}), sleep=fake.sleep, clock=fake.clock)
    assert result.value.status_code == 200 and len(result.attempts) == 3
    assert [e["status"] for e in mock.requests()] == [503, 500, 200]


def test_client_with_its_retries_off(mock, key):
    mock.set_scenario("429/Throttling.AllocationQuota,200", key=key)
    client = dashscope.Client(api_key=key, base_url=mock.native_base_url, max_retries=0)
    fake = FakeTime()
    result = call_with_retry(lambda: client.chat.completions.create(
        model="qwen-plus", messages=HELLO), sleep=fake.sleep, clock=fake.clock)
    assert result.attempts[0].decision.rule.name == "tokens_per_minute"
    assert [e["status"] for e in mock.requests()] == [429, 200]


def test_async_variant(mock, key):
    fake = FakeTime()

    async def run():
        client = openai.AsyncOpenAI(api_key=key, base_url=mock.compatible_base_url,
                                    max_retries=0)
        try:
            return await acall_with_retry(
                lambda: client.chat.completions.create(
                    model="qwen-plus", messages=HELLO,
                    extra_headers={"X-Mock-Scenario": "drop,504,200"}),
                sleep=fake.asleep, clock=fake.clock)
        finally:
            await client.close()

    result = asyncio.run(run())
    assert [a.error.kind if a.error else "ok" for a in result.attempts] == [
        "connection", "timeout", "ok"]
    assert [e["scenario"] for e in mock.requests()] == ["drop", "504", "200"]
    assert len(fake.sleeps) == 2


def test_tenacity_runs_the_same_decisions(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    fake = FakeTime()
    reply = tenacity_retrying(sleep=fake.sleep)(
        client.chat.completions.create, model="qwen-plus", messages=HELLO,
        extra_headers={"X-Mock-Scenario": "429,429,200"})
    assert reply.choices[0].message.content
    assert [e["status"] for e in mock.requests()] == [429, 429, 200] and len(fake.sleeps) == 2
    mock.reset()
    with pytest.raises(openai.BadRequestError):  # tenacity re-raises the SDK's own exception
        tenacity_retrying(sleep=fake.sleep)(
            client.chat.completions.create, model="qwen-plus", messages=HELLO,
            extra_headers={"X-Mock-Scenario": "400,200"})
    assert len(mock.requests()) == 1


def test_tenacity_with_the_module_api_and_raise_for_response(mock, key):
    fake = FakeTime()
    retrying = tenacity_retrying(RetryPolicy(max_attempts=2), sleep=fake.sleep)
    with pytest.raises(QwenError) as raised:
        retrying(lambda: raise_for_response(Generation.call(
            model="qwen-plus", messages=HELLO, api_key=key, base_address=mock.native_base_url,
            headers={"X-Mock-Scenario": "503*3"})))
    assert raised.value.status == 503 and len(mock.requests()) == 2 and len(fake.sleeps) == 1


# -- an answer the reader has partly seen is never sent again (issue 13, item 6) ---------------

def _read_openai_stream(client, seen: list[str], scenario: str):
    def fn():  # the caller's own loop over the SDK's stream, as in notebook 05
        stream = client.chat.completions.create(
            model="qwen-plus", messages=HELLO, stream=True,
            extra_headers={"X-Mock-Scenario": scenario})
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                seen.append(chunk.choices[0].delta.content)
        return "".join(seen)
    return fn


def test_a_stream_cut_after_text_arrived_is_not_sent_again(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    fake, seen = FakeTime(), []
    with pytest.raises(QwenError) as raised:
        call_with_retry(_read_openai_stream(client, seen, "cut:3"), sleep=fake.sleep,
                        clock=fake.clock)
    assert raised.value.kind == "stream" and len(raised.value.attempts) == 1
    assert len(mock.requests()) == 1 and fake.sleeps == []
    assert seen  # part of the answer reached the reader, once: one request, no wait


def test_a_native_stream_cut_after_text_arrived_is_not_sent_again(mock, key):
    fake, seen = FakeTime(), []

    def fn():
        for response in Generation.call(
                model="qwen-plus", messages=HELLO, api_key=key, stream=True,
                incremental_output=True, result_format="message",
                base_address=mock.native_base_url, headers={"X-Mock-Scenario": "cut:3"}):
            seen.append(response.output.choices[0].message.content)
        return "".join(seen)

    with pytest.raises(QwenError) as raised:
        call_with_retry(fn, sleep=fake.sleep, clock=fake.clock)
    assert raised.value.kind == "stream" and len(mock.requests()) == 1 and fake.sleeps == []


def test_an_async_stream_cut_after_text_arrived_is_not_sent_again(mock, key):
    seen: list[str] = []

    async def run():
        client = openai.AsyncOpenAI(api_key=key, base_url=mock.compatible_base_url,
                                    max_retries=0)

        async def fn():
            stream = await client.chat.completions.create(
                model="qwen-plus", messages=HELLO, stream=True,
                extra_headers={"X-Mock-Scenario": "cut:3"})
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    seen.append(chunk.choices[0].delta.content)
        try:
            await acall_with_retry(fn, sleep=FakeTime().sleep)
        finally:
            await client.close()

    with pytest.raises(QwenError) as raised:
        asyncio.run(run())
    assert raised.value.kind == "stream" and len(mock.requests()) == 1 and seen


def test_tenacity_does_not_send_a_begun_stream_again_either(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    seen: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        tenacity_retrying(sleep=FakeTime().sleep)(_read_openai_stream(client, seen, "cut:3"))
    assert seen and len(mock.requests()) == 1


def test_a_connection_dropped_before_the_answer_began_is_still_retried(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    fake, seen = FakeTime(), []
    result = call_with_retry(_read_openai_stream(client, seen, "drop,200"), sleep=fake.sleep,
                             clock=fake.clock)
    assert result.value and [a.error.kind if a.error else "ok" for a in result.attempts] == [
        "connection", "ok"]


# -- a key never rides out on an exception (issue 13, item 7) ----------------------------------

def _shows_the_key(text: str, key: str) -> bool:
    """True when ``text`` holds more than 8 consecutive characters of ``key``."""
    return any(key[i:i + 9] in text for i in range(len(key) - 8))


@pytest.mark.parametrize("sdk", ["dashscope", "dashscope-2.0", "openai"])
def test_a_key_with_a_trailing_newline_never_shows_in_the_exception(mock, sdk):
    import traceback


    key = fake_key()
    if sdk == "dashscope":
        def fn():
            return Generation.call(model="qwen-plus", messages=HELLO, api_key=key + "\n",
                                   base_address=mock.native_base_url)
    elif sdk == "dashscope-2.0":
        client = dashscope.Client(api_key=key + "\n", base_url=mock.native_base_url,
                                  protocol="native", max_retries=0)

        def fn():
            return client.chat.completions.create(model="qwen-plus", messages=HELLO)
    else:
        client = openai.OpenAI(api_key=key + "\n", base_url=mock.compatible_base_url,
                               max_retries=0)

        def fn():
            return client.chat.completions.create(model="qwen-plus", messages=HELLO)
    fake = FakeTime()
    with pytest.raises(Exception) as raised:
        call_with_retry(fn, sleep=fake.sleep, clock=fake.clock)
    shown = "".join(traceback.format_exception(raised.value)) + repr(raised.value)
    assert not _shows_the_key(shown, key), shown[-600:]
    assert "sk-" in shown  # masked, still recognisable: sk-ab…89


def test_the_sdks_own_log_of_a_failed_request_masks_the_key(mock, caplog):
    """dashscope logs the traceback (``logger.exception("Request failed")``) before it raises."""

    key = fake_key()
    with caplog.at_level(logging.ERROR, logger="dashscope"), pytest.raises(ValueError):
        call_with_retry(lambda: Generation.call(
            model="qwen-plus", messages=HELLO, api_key=key + "\n",
            base_address=mock.native_base_url), sleep=FakeTime().sleep)
    assert "Request failed" in caplog.text  # the SDK did log it, traceback and all
    assert not _shows_the_key(caplog.text, key) and "sk-" in caplog.text


REQUEST_FORMS = [  # notebooks 08–10: each refusal, as the mock answers it in either dialect
    dict(messages=[{"role": "user", "content": "hi"}], response_format={"type": "json_object"}),
    dict(messages=HELLO, extra_body={"enable_thinking": True}),
    dict(messages=[{"role": "user", "content": "JSON please"}], stream=True,
         response_format={"type": "json_object"}, extra_body={"enable_thinking": True}),
    dict(messages=HELLO, stream=True, extra_body={"enable_thinking": True, "thinking_budget": 0}),
    dict(messages=HELLO, tools=[{"type": "function", "function": {"name": "f"}}],
         tool_choice="required"),
    dict(messages=HELLO + [{"role": "tool", "tool_call_id": "call_1", "content": "x"}]),
]


@pytest.mark.parametrize("request_form", REQUEST_FORMS)
def test_a_refused_request_form_is_tried_once_and_says_why(mock, key, request_form):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    fake = FakeTime()
    with pytest.raises(QwenError) as raised:
        call_with_retry(lambda: client.chat.completions.create(model="qwen-plus",
                                                               **request_form),
                        sleep=fake.sleep, clock=fake.clock)
    assert raised.value.status == 400
    assert raised.value.attempts[0].decision.rule.name == "request_form"
    assert len(mock.requests()) == 1 and fake.sleeps == []
