"""Starting the mock, determinism, timing, and record mode (against a second local mock)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time

import openai
import pytest
from dashscope import Generation

from qwen_helpers.mock import DEMO_KEY, MockServer, wait_until_ready

HELLO = [{"role": "user", "content": "你好"}]


def ask(server: MockServer, content: str = "你好", **kw):
    client = openai.OpenAI(api_key=DEMO_KEY, base_url=server.compatible_base_url, max_retries=0)
    return client.chat.completions.create(
        model="qwen-plus", messages=[{"role": "user", "content": content}], **kw)


def test_ids_and_created_are_stable_for_the_same_sequence(mock):
    first = [ask(mock, q) for q in ("a", "b")]
    mock.reset()
    second = [ask(mock, q) for q in ("a", "b")]
    assert [r.id for r in first] == [r.id for r in second]
    assert [r.created for r in first] == [r.created for r in second]
    assert first[0].id != first[1].id
    with MockServer(seed=7) as other:
        assert ask(other, "a").id != first[0].id


def test_random_ids_when_asked(mock):
    with MockServer(deterministic=False) as server:
        assert ask(server).id != ask(server).id
        assert abs(ask(server).created - time.time()) < 60


def test_configured_time_to_first_token_is_what_a_client_sees():
    with MockServer(ttft=0.3, tokens_per_second=1000.0) as server:
        started = time.perf_counter()
        stream = ask(server, stream=True)
        first_content = None
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                first_content = time.perf_counter() - started
                break
        stream.close()
    assert first_content is not None and first_content >= 0.3


def test_the_server_starts_on_a_free_port_and_stops_cleanly():
    server = MockServer().start()
    port = server.port
    assert port > 0 and server.url == f"http://127.0.0.1:{port}"
    server.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_busy_port_fails_fast_with_a_clear_message():
    with MockServer() as first:
        with pytest.raises(RuntimeError, match="could not start"):
            MockServer(port=first.port).start()


def run_cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "qwen_helpers.mock", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_command_line_prints_both_base_urls_and_serves():
    process = run_cli("--port", "0", "--key", "cli-test-key")
    try:
        line = process.stdout.readline()
        url = line.split()[3]
        assert line.startswith("DashScope mock on http://127.0.0.1:")
        assert "compatible-mode/v1" in process.stdout.readline()
        assert "/api/v1" in process.stdout.readline()
        assert DEMO_KEY in process.stdout.readline()
        assert wait_until_ready(url)
        response = Generation.call(model="qwen-plus", messages=HELLO, api_key="cli-test-key",
                                   base_address=f"{url}/api/v1")
        assert response.status_code == 200
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_command_line_refuses_a_busy_port():
    with MockServer() as busy:
        process = run_cli("--port", str(busy.port))
        assert process.wait(20) == 2
        assert "cannot listen" in process.stderr.read()


def test_command_line_refuses_bad_options():
    process = run_cli("--ttft", "-1")
    assert process.wait(20) == 2 and "--ttft must be 0 or more" in process.stderr.read()


def test_record_mode_saves_answers_without_the_key(tmp_path):
    key = "sk-" + secrets.token_hex(16)  # shaped like a real key, made at run time
    with MockServer(keys=frozenset({key})) as upstream, \
            MockServer(upstream=upstream.url, record_to=tmp_path) as recorder:
        client = openai.OpenAI(api_key=key, base_url=recorder.compatible_base_url)
        question = [{"role": "user", "content": "Record me, please."}]
        live = client.chat.completions.create(model="qwen-plus", messages=question)
        streamed = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True)
        streamed_text = "".join(c.choices[0].delta.content or "" for c in streamed)
        native = list(Generation.call(model="qwen-plus", prompt="Native, please.", api_key=key,
                                      base_address=recorder.native_base_url, stream=True))
        assert upstream.requests()[0]["key"] == f"{key[:5]}…{key[-2:]}"
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 3
    for path in files:
        text = path.read_text()
        assert key not in text and key[-12:] not in text
    saved = [json.loads(p.read_text()) for p in files]
    contents = {s["request"]["messages"][0]["content"]: s["response"]["content"] for s in saved}
    assert contents["Record me, please."] == live.choices[0].message.content
    assert contents["你好"] == streamed_text
    assert contents["Native, please."] == native[-1].output.text
    # Replay: a new mock answers from the recordings, with no upstream at all.
    with MockServer(recordings=(tmp_path,)) as replay:
        again = ask(replay, "Record me, please.")
        assert again.choices[0].message.content == live.choices[0].message.content
        assert replay.requests()[-1]["recording"] == next(
            p.name for p, s in zip(files, saved, strict=True)
            if s["request"]["messages"][0]["content"] == "Record me, please.")


def test_one_request_can_ask_for_its_own_pace_and_a_bad_pace_is_a_400():
    with MockServer(ttft=0.0, tokens_per_second=100_000.0) as server:
        client = openai.OpenAI(api_key=DEMO_KEY, base_url=server.compatible_base_url,
                               max_retries=0)
        started = time.perf_counter()
        reply = client.chat.completions.create(
            model="qwen-plus", messages=[{"role": "user", "content": "你好"}],
            extra_headers={"X-Mock-Pace": "ttft=0.3,tps=100"})
        took = time.perf_counter() - started
        assert took >= 0.3 + reply.usage.completion_tokens / 100 * 0.9
        for bad in ("ttft=-1", "tps=0", "speed=3", "ttft=nan", "ttft", "ttft=1,ttft=2"):
            with pytest.raises(openai.BadRequestError) as caught:
                client.chat.completions.create(
                    model="qwen-plus", messages=[{"role": "user", "content": "你好"}],
                    extra_headers={"X-Mock-Pace": bad})
            assert "X-Mock-Pace takes ttft=" in caught.value.response.text


def test_a_scenario_body_nested_too_deep_is_a_400_not_a_500(mock):
    """Found by the bad-input gate: ``[[[[…`` thousands deep made json.loads recurse out."""
    import httpx

    response = httpx.post(mock.url + "/_mock/scenario", content=b"[" * 100_000 + b"]" * 100_000,
                          headers={"Authorization": "Bearer mock-key-valid"})
    assert response.status_code == 400
    assert "nests too deeply" in response.json()["error"]
