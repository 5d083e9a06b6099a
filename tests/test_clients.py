"""connect() and the client factories, with the real SDKs against the mock."""

from __future__ import annotations

import asyncio
import importlib
import re
import secrets
from dataclasses import replace

import dashscope
import openai
import pytest
from dashscope.v2.errors import ServiceUnavailableError
from dashscope.v2.transport import http as dashscope_http

from qwen_helpers.clients import (
    async_dashscope_client,
    async_openai_client,
    dashscope_client,
    generation_kwargs,
    openai_client,
    sdk_max_retries,
    sdk_retries,
)
from qwen_helpers.config import ConfigError, load_settings, mask_key
from qwen_helpers.connect import connect, mock_server, status_line

connect_module = importlib.import_module("qwen_helpers.connect")  # the module, not the function

HELLO = [{"role": "user", "content": "你好"}]
STATUS = re.compile(r"^mode=mock · base_url=http://127\.0\.0\.1:\d+/compatible-mode/v1 · "
                    r"model=qwen-plus · key=mock-…id$")


pytestmark = pytest.mark.usefixtures("restored_sdk_state")  # tests/conftest.py


@pytest.fixture
def offline():
    """Mock-mode settings that ignore the developer's environment and .env."""
    return load_settings({}, dotenv=False)


@pytest.fixture
def connected(mock, offline, monkeypatch, capsys):
    """connect() with the session mock as this process's mock; yields the settings."""
    monkeypatch.setattr(connect_module, "_mock", mock)
    settings = connect(offline)
    yield settings


def fast_openai_retries(client):
    """The client's backoff, without the real sleep: the retry happens at once."""
    client._calculate_retry_timeout = lambda *args, **kwargs: 0.0
    return client


# -- connect() ---------------------------------------------------------------------------------

def test_connect_prints_one_stable_status_line(mock, offline, monkeypatch, capsys):
    monkeypatch.setattr(connect_module, "_mock", mock)
    settings = connect(offline)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and STATUS.match(lines[0]), lines
    assert settings.compatible_base_url == mock.compatible_base_url
    assert settings.native_base_url == mock.native_base_url
    assert f":{mock.port}/" in status_line(settings)


def test_after_connect_all_three_stacks_reach_the_mock(connected, mock):
    reply = openai_client(connected).chat.completions.create(model=connected.model,
                                                             messages=HELLO)
    assert reply.choices[0].message.content
    # No api_key, no base_address: the module attributes set by connect() are used.
    response = dashscope.Generation.call(model=connected.model, messages=HELLO,
                                         result_format="message")
    assert response.status_code == 200 and response.output.choices[0].message.content
    for client in (dashscope_client(connected), dashscope_client(connected, "openai"),
                   dashscope.Client()):  # the last one reads dashscope.settings
        with client:
            answer = client.chat.completions.create(model=connected.model, messages=HELLO)
            assert answer.choices[0].message.content
    log = mock.requests()
    assert [(entry["dialect"], entry["status"]) for entry in log] == [
        ("compatible", 200), ("native", 200), ("native", 200), ("compatible", 200),
        ("native", 200)]
    assert {entry["key"] for entry in log} == {mask_key(connected.api_key)}


def test_connect_starts_the_mock_once_and_reuses_it(offline, monkeypatch, capsys):
    monkeypatch.setattr(connect_module, "_mock", None)
    first = connect(offline, quiet=True)
    try:
        server = mock_server()
        second = connect(offline, quiet=True)
        assert mock_server() is server
        assert first.compatible_base_url == second.compatible_base_url == server.compatible_base_url
        assert capsys.readouterr().out == ""  # quiet
        response = dashscope.Generation.call(model=first.model, messages=HELLO)
        assert response.status_code == 200 and len(server.requests()) == 1
    finally:
        connect_module._mock.stop()


def test_live_connect_points_the_sdks_at_the_region_and_never_shows_the_key(capsys):
    key = "sk-" + secrets.token_hex(16)
    settings = connect(load_settings({"DASHSCOPE_API_KEY": key,
                                      "DASHSCOPE_REGION": "ap-southeast-1"}, dotenv=False),
                       check=False)  # no request: this machine cannot reach the service
    assert dashscope.base_http_api_url == "https://dashscope-intl.aliyuncs.com/api/v1"
    assert dashscope.api_key == key and dashscope.settings.api_key == key
    assert dashscope.settings.base_url == settings.native_base_url
    out = capsys.readouterr().out
    assert out.strip() == ("mode=live · base_url=https://dashscope-intl.aliyuncs.com/"
                           f"compatible-mode/v1 · model=qwen-plus · key={mask_key(key)}")
    assert key[3:] not in out


def test_mock_settings_before_connect_are_refused_with_what_to_do(offline):
    with pytest.raises(ConfigError, match="connect"):
        openai_client(offline)
    with pytest.raises(ConfigError, match="connect"):
        generation_kwargs(offline)


def test_generation_kwargs_work_without_connect(mock, offline):
    settings = replace(offline, compatible_base_url=mock.compatible_base_url,
                       native_base_url=mock.native_base_url)
    response = dashscope.Generation.call(model=settings.model, messages=HELLO,
                                         **generation_kwargs(settings))
    assert response.status_code == 200


# -- one owner of retries ----------------------------------------------------------------------

def test_helper_owned_retries_leave_one_request_to_the_openai_sdk(connected, mock):
    client = fast_openai_retries(openai_client(connected, retry_owner="helper"))
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=connected.model, messages=HELLO,
                                       extra_headers={"X-Mock-Scenario": "503,200"})
    assert [entry["status"] for entry in mock.requests()] == [503]


def test_sdk_owned_retries_let_the_openai_sdk_try_again(connected, mock):
    client = fast_openai_retries(openai_client(connected, retry_owner="sdk"))
    reply = client.chat.completions.create(model=connected.model, messages=HELLO,
                                           extra_headers={"X-Mock-Scenario": "503,200"})
    assert reply.choices[0].message.content
    assert [(e["status"], e["retry_count"]) for e in mock.requests()] == [(503, 0), (200, 1)]


@pytest.mark.parametrize(("owner", "statuses"), [("helper", [503]), ("sdk", [503, 200])])
def test_the_dashscope_client_follows_the_retry_owner(connected, mock, monkeypatch, owner,
                                                      statuses):
    monkeypatch.setattr(dashscope_http, "_sleep", lambda seconds: None)
    mock.set_scenario("503,200", key=connected.api_key)  # the 2.0 Client sends no extra headers
    with dashscope_client(connected, retry_owner=owner) as client:
        try:
            client.chat.completions.create(model=connected.model, messages=HELLO)
        except ServiceUnavailableError:
            assert owner == "helper"
    assert [entry["status"] for entry in mock.requests()] == statuses


def test_asking_for_both_retry_owners_is_refused(connected):
    for factory in (openai_client, async_openai_client, dashscope_client,
                    async_dashscope_client):
        with pytest.raises(ValueError, match="retry twice over"):
            factory(connected, retry_owner="helper", max_retries=2)
    with pytest.raises(ValueError, match="'sdk'.*'helper'"):
        openai_client(connected, retry_owner="both")  # type: ignore[arg-type]


def test_the_retry_count_each_client_will_make_is_readable(connected):
    assert sdk_retries(openai_client(connected)) == 2  # the SDK's default
    assert sdk_retries(openai_client(connected, retry_owner="helper")) == 0
    assert sdk_retries(dashscope_client(connected)) == 2
    assert sdk_retries(dashscope_client(connected, retry_owner="sdk", max_retries=5)) == 5
    assert sdk_retries(dashscope_client(connected, retry_owner="helper")) == 0
    assert sdk_retries(dashscope.Generation) == 0  # the 1.x API never retries a status
    assert sdk_max_retries("helper", 0) == 0 and sdk_max_retries("sdk", None) is None


def test_async_clients_reach_the_mock(connected, mock):
    async def both() -> None:
        async with async_openai_client(connected, retry_owner="helper") as client:
            reply = await client.chat.completions.create(model=connected.model, messages=HELLO)
            assert reply.choices[0].message.content
        async with async_dashscope_client(connected, "openai", timeout=30) as client:
            answer = await client.chat.completions.create(model=connected.model, messages=HELLO)
            assert answer.choices[0].message.content

    asyncio.run(both())
    assert [entry["dialect"] for entry in mock.requests()] == ["compatible", "compatible"]


def test_connect_uses_a_mock_running_elsewhere_and_starts_none(mock, monkeypatch, capsys):
    monkeypatch.setattr(connect_module, "_mock", None)
    settings = connect(load_settings({"QWEN_MOCK_URL": mock.url}, dotenv=False))
    assert connect_module._mock is None  # no mock was started in this process
    assert settings.compatible_base_url == mock.compatible_base_url
    assert STATUS.match(capsys.readouterr().out.strip())
    openai_client(settings).chat.completions.create(model=settings.model, messages=HELLO)
    dashscope.Generation.call(model=settings.model, messages=HELLO, result_format="message")
    assert [(e["dialect"], e["status"]) for e in mock.requests()] == [("compatible", 200),
                                                                      ("native", 200)]


def test_connect_refuses_a_mock_url_that_does_not_answer(monkeypatch):
    monkeypatch.setattr(connect_module, "wait_until_ready", lambda url, timeout: False)
    with pytest.raises(ConfigError, match="does not answer http://10.0.0.5:8765/_mock/health"):
        connect(load_settings({"QWEN_MOCK_URL": "http://10.0.0.5:8765"}, dotenv=False))
