"""Shared fixtures: one mock for the session, reset before each test; a clean environment."""

from __future__ import annotations

import os
import shutil

import pytest

from qwen_helpers.mock import DEMO_KEY, MockServer

SECRET_VARIABLES = ("DASHSCOPE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DASHSCOPE_BASE_URL",
                    "DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_API_KEY_FILE_PATH", "QWEN_MODE")


@pytest.fixture(scope="session", autouse=True)
def _sandboxed_home(tmp_path_factory):
    """HOME points at an empty folder, so ~/.dashscope/api_key is never read."""
    home = tmp_path_factory.mktemp("home")
    saved = {name: os.environ.get(name) for name in ("HOME", *SECRET_VARIABLES)}
    os.environ["HOME"] = str(home)
    for name in SECRET_VARIABLES:
        os.environ.pop(name, None)
    yield home
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def mock_server():
    """The mock, fast: no added latency, a quick first token."""
    with MockServer(ttft=0.0, tokens_per_second=100_000.0) as server:
        yield server


@pytest.fixture
def mock(mock_server):
    """The session's mock with an empty log and no scenarios."""
    mock_server.reset()
    yield mock_server
    mock_server.reset()


@pytest.fixture
def restored_sdk_state(monkeypatch):
    """Whatever connect() assigns in the dashscope module is put back after the test."""
    import dashscope

    for name in ("api_key", "base_http_api_url", "base_compatible_api_url"):
        monkeypatch.setattr(dashscope, name, getattr(dashscope, name))
    monkeypatch.setattr(dashscope.settings, "_explicit", dict(dashscope.settings._explicit))


@pytest.fixture
def key() -> str:
    return DEMO_KEY


@pytest.fixture
def scratch(tmp_path):
    """A folder for planted keys, deleted afterwards: the end-of-run sweep must not find them."""
    folder = tmp_path / "planted"
    folder.mkdir()
    yield folder
    shutil.rmtree(folder)
