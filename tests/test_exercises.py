"""The exercise checks: each prints ✓ for a right answer and ✗ with the reason otherwise."""

from __future__ import annotations

import openai
import pytest
from dashscope import Generation

from qwen_helpers import connect as connect_module
from qwen_helpers.exercises import check_port

PORT_MESSAGES = [{"role": "system", "content": "You are a helpful assistant."},
                 {"role": "user", "content": "你是谁？"}]


@pytest.fixture
def port(mock, key, monkeypatch):
    """The openai reply to port and a function making the ported call, against the mock."""
    monkeypatch.setattr(connect_module, "_mock", mock)
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    reply = client.chat.completions.create(model="qwen-plus", messages=PORT_MESSAGES,
                                           temperature=0.7, max_tokens=20,
                                           extra_body={"enable_thinking": False})

    def call(**changes):
        arguments = {"model": "qwen-plus", "messages": PORT_MESSAGES, "temperature": 0.7,
                     "max_tokens": 20, "enable_thinking": False, "result_format": "message",
                     "api_key": key, "base_address": mock.native_base_url, **changes}
        return Generation.call(**{k: v for k, v in arguments.items() if v is not None})
    return reply, call


def test_check_port_accepts_the_solution(port, capsys):
    reply, call = port
    check_port(call(), reply)
    assert capsys.readouterr().out.startswith("✓ same request through the native endpoint")


@pytest.mark.parametrize(("change", "reason"), [
    ({"result_format": None}, "pass result_format"),
    ({"temperature": None}, "same temperature"),
    ({"enable_thinking": None}, "same temperature and enable_thinking"),
    ({"max_tokens": None}, "same max_tokens"),
    ({"messages": PORT_MESSAGES[1:]}, "same messages"),
])
def test_check_port_names_what_is_missing(port, capsys, change, reason):
    reply, call = port
    check_port(call(**change), reply)
    out = capsys.readouterr().out
    assert out.startswith("✗") and reason in out


def test_check_port_refuses_an_openai_reply(port, capsys):
    reply, _ = port
    check_port(reply, reply)
    assert "GenerationResponse" in capsys.readouterr().out


def test_check_port_without_a_mock_does_not_grade_the_text(port, capsys, monkeypatch):
    reply, call = port
    response = call()
    monkeypatch.setattr(connect_module, "_mock", None)  # as in live mode
    response.output.choices[0].message.content = "another sampled answer"
    check_port(response, reply)
    out = capsys.readouterr().out
    assert out.startswith("✓") and "live mode" in out
