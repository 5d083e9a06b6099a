"""Live mode when something is wrong: connect()'s one-line check and the short notebook errors.

The real service is out of reach here, so "live" is played three ways, all on loopback: a port
nobody listens on (no route), the mock with a key it does not know (a refused key) or a model it
does not serve, and an HTTPS proxy that refuses connections (a firewall) — the last one for a
whole notebook run, exactly as a learner behind it would run notebook 00.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import replace
from pathlib import Path

import nbformat
import openai
import pytest
from nbclient import NotebookClient

from qwen_helpers import live
from qwen_helpers.config import load_settings
from qwen_helpers.notebook_errors import short_text

ROOT = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nobody listens


@pytest.fixture
def live_key() -> str:
    return "sk-" + secrets.token_hex(16)


def _live(key: str, base: str, model: str = "qwen-plus"):
    """Live settings aimed at ``base`` and sending ``key`` (the mock's demo key is not sk-…)."""
    settings = load_settings({"DASHSCOPE_API_KEY": "sk-" + "0" * 32, "QWEN_MODEL": model},
                             dotenv=False)
    return replace(settings, api_key=key, compatible_base_url=f"{base}/compatible-mode/v1")


def test_no_route_is_one_line_naming_mock_mode_and_the_region(live_key):
    settings = _live(live_key, f"http://127.0.0.1:{_closed_port()}")
    check = live.check_service(settings, timeout=2)
    assert check.outcome == "unreachable" and check.detail == "ConnectError"
    line = live.problem_line(check, settings)
    assert "\n" not in line and "QWEN_MODE=mock" in line and "DASHSCOPE_REGION=cn-beijing" in line
    assert live_key[3:] not in line and live_key[-6:] not in line


def test_a_refused_key_is_one_line_without_the_key(mock, live_key):
    settings = _live(live_key, mock.url)
    check = live.check_service(settings)
    assert check.outcome == "refused" and check.detail == "HTTP 401 invalid_api_key"
    line = live.problem_line(check, settings)
    assert "refused the key" in line and "QWEN_MODE=mock" in line and live_key[3:] not in line


def test_a_model_the_service_does_not_list_gets_the_names_it_does(mock, key):
    check = live.check_service(_live(key, mock.url, model="qwen-turbo"))
    assert check.outcome == "model" and "qwen-plus" in check.models
    line = live.problem_line(check, _live(key, mock.url, model="qwen-turbo"))
    assert "'qwen-turbo'" in line and "client.models.list()" in line


def test_a_healthy_service_passes(mock, key):
    check = live.check_service(_live(key, mock.url))
    assert check.ok and live.problem_line(check, _live(key, mock.url)) is None
    assert "qwen-max" in check.models  # not retired: the notice was revised


def test_an_unexpected_list_shape_skips_the_model_check(key):
    import httpx

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"models": []}))
    assert live.check_service(_live(key, "http://127.0.0.1:9"), transport=transport).ok


def test_connect_prints_the_status_and_the_problem_and_goes_on(monkeypatch, capsys, live_key):
    from qwen_helpers.connect import connect

    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{_closed_port()}")
    settings = connect(load_settings({"DASHSCOPE_API_KEY": live_key}, dotenv=False))
    lines = capsys.readouterr().out.splitlines()
    assert settings.mode == "live" and len(lines) == 2
    assert lines[0].startswith("mode=live") and lines[1].startswith("✗ live mode:")
    assert "QWEN_MODE=mock" in lines[1] and live_key[3:] not in "\n".join(lines)


def test_a_connection_error_reads_short_with_what_it_means():
    client = openai.OpenAI(api_key="sk-" + "0" * 32, max_retries=0,
                           base_url=f"http://127.0.0.1:{_closed_port()}/compatible-mode/v1")
    with pytest.raises(openai.APIConnectionError) as caught:
        client.chat.completions.create(model="qwen-plus",
                                       messages=[{"role": "user", "content": "x"}])
    lines = short_text(caught.value)
    assert lines[0] == "openai.APIConnectionError: Connection error."
    assert lines[1].startswith("What it means: connection")


def test_notebook_00_behind_a_dead_proxy_shows_no_long_traceback(tmp_path, gate_run):
    """A learner with a key behind a firewall: every failing cell shows the course's message."""
    notebook = nbformat.read(ROOT / "notebooks" / "en" / "00_start_here.ipynb", as_version=4)
    env = {**os.environ, "QWEN_MODE": "live", "DASHSCOPE_API_KEY": gate_run["canary"],
           "HTTPS_PROXY": f"http://127.0.0.1:{_closed_port()}", "HOME": str(tmp_path)}
    client = NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks" / "en")}})
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    setup = "".join(o.get("text", "") for o in notebook.cells[_setup_cell(notebook)].outputs)
    assert "mode=live" in setup and "QWEN_MODE=mock" in setup, setup
    errors = [o for o in outputs if o.output_type == "error"]
    assert errors, "with no route to the service, a call must fail"
    for error in errors:
        assert len(error.traceback) <= 4, "\n".join(error.traceback)
        assert "QWEN_MODE=mock" in "\n".join(error.traceback), error.traceback
    everything = json.dumps([o for o in outputs], ensure_ascii=False)
    assert gate_run["canary"][3:] not in everything


def _setup_cell(notebook) -> int:
    """The set-up cell: the first code cell that calls ``connect`` (the one before it installs
    the helpers when they are missing, and prints nothing here)."""
    return next(i for i, cell in enumerate(notebook.cells)
                if cell.cell_type == "code" and "connect(" in cell.source)
