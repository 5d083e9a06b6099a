"""Request logs: one JSON line per attempt, every field there, and never a key."""

from __future__ import annotations

import io
import json
import logging
import secrets

import dashscope
import openai
import pytest
from dashscope import Generation
from hypothesis import given
from hypothesis import strategies as st

from qwen_helpers.config import mask_key
from qwen_helpers.logs import JsonLineFormatter, RequestLogger, json_lines_handler, redact
from qwen_helpers.streaming import StreamResult

HELLO = [{"role": "user", "content": "你好"}]


def planted_key() -> str:
    """A string shaped like a real key, made at run time so no file ever holds one."""
    return "sk-" + secrets.token_hex(16)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def client(mock, key):
    return openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)


def test_one_line_per_attempt_with_the_request_fields(mock, client):
    stream = io.StringIO()
    log = RequestLogger(stream)
    log.log(client.chat.completions.create(model="qwen-plus", messages=HELLO), latency=0.1234)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                       extra_headers={"X-Mock-Scenario": "429"})
    log.log(caught.value, model="qwen-plus", latency=0.01, attempt=2)
    ok, failed = lines(stream)
    first, second = mock.requests()
    assert ok["request_id"] == first["request_id"] and ok["status"] == 200
    assert (ok["input_tokens"], ok["output_tokens"]) == (first["usage"]["input_tokens"],
                                                         first["usage"]["output_tokens"])
    assert ok["latency"] == 0.123 and ok["attempt"] == 1 and ok["time"].endswith("Z")
    assert ok["level"] == "INFO" and ok["message"] == "qwen-plus 200 in 0.123 s"
    assert failed["request_id"] == second["request_id"] and failed["status"] == 429
    assert (failed["error_kind"], failed["error_code"]) == ("rate_limit", "limit_requests")
    assert failed["attempt"] == 2 and failed["level"] == "WARNING"
    assert "input_tokens" not in failed


def test_native_responses_and_connection_errors(mock, key):
    stream = io.StringIO()
    log = RequestLogger(stream)
    log.log(Generation.call(model="qwen-plus", messages=HELLO, api_key=key,
                            base_address=mock.native_base_url, result_format="message"),
            model="qwen-plus")
    log.log(Generation.call(model="qwen-plus", messages=HELLO, api_key=key,
                            base_address=mock.native_base_url,
                            headers={"X-Mock-Scenario": "503"}), model="qwen-plus")
    broken = dashscope.Client(api_key=key, base_url="http://127.0.0.1:9/api/v1", max_retries=0)
    with pytest.raises(Exception) as caught:
        broken.chat.completions.create(model="qwen-plus", messages=HELLO)
    log.log(caught.value, model="qwen-plus")
    ok, unavailable, unreachable = lines(stream)
    assert ok["status"] == 200 and ok["input_tokens"] == mock.requests()[0]["usage"][
        "input_tokens"]
    assert unavailable["status"] == 503 and unavailable["error_kind"] == "unavailable"
    assert unavailable["request_id"] == mock.requests()[1]["request_id"]
    assert unreachable["error_kind"] == "connection" and "status" not in unreachable


def test_no_key_even_when_an_error_or_a_header_carries_one(tmp_path):
    secret = planted_key()
    path = tmp_path / "requests.jsonl"
    log = RequestLogger(path)
    log.log(RuntimeError(f"upstream refused Authorization: Bearer {secret} (key {secret})"),
            model="qwen-plus")
    log.logger.info("headers were %s", {"Authorization": f"Bearer {secret}"},
                    extra={"model": "qwen-plus", "headers": {"Authorization": secret}})
    try:
        raise ValueError(f"bad key {secret}")
    except ValueError:
        log.logger.exception("failed with %s", secret)
    log.close()
    text = path.read_text(encoding="utf-8")
    assert secret not in text and secret[6:] not in text and secret[-10:] not in text
    assert mask_key(secret) in text
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 3 and "headers" not in records[1]
    assert "ValueError" in records[2]["exception"]


def test_an_application_logger_gets_the_fields_too():
    stream = io.StringIO()
    app_logger = logging.getLogger("test_logs.app")
    app_logger.setLevel(logging.INFO)
    handler = json_lines_handler(stream)
    app_logger.addHandler(handler)
    try:
        RequestLogger(logger=app_logger).log({"model": "qwen-flash", "usage": {
            "input_tokens": 3, "output_tokens": 4}, "request_id": "r-1"})
    finally:
        app_logger.removeHandler(handler)
    (line,) = lines(stream)
    assert (line["model"], line["request_id"], line["output_tokens"]) == ("qwen-flash", "r-1", 4)
    with pytest.raises(ValueError, match="not both"):
        RequestLogger(stream, logger=app_logger)


def test_a_broken_stream_is_logged_as_incomplete():
    stream = io.StringIO()
    broken = StreamResult("Hel", complete=False, request_id="r-2")
    RequestLogger(stream).log(broken, model="qwen-plus", latency=1.5)
    (line,) = lines(stream)
    assert line["error_kind"] == "stream" and line["request_id"] == "r-2"
    assert "status" not in line  # no HTTP status is known for it


def test_the_formatter_works_on_any_record():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain %s", ("text",), None)
    assert json.loads(JsonLineFormatter().format(record))["message"] == "plain text"


@given(st.text(alphabet="abcdefABCDEF0123456789_-", min_size=8, max_size=40),
       st.text(max_size=20), st.text(max_size=20))
def test_redaction_hides_every_key_shape(body, before, after):
    key = "sk-" + body
    text = redact(f"{before}{key}{after}")
    assert key not in text
    masked = f"Authorization: Bearer {mask_key(body + 'x')}"
    assert redact(f"Authorization: Bearer {body}x") == masked
