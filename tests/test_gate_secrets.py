"""Gate 1 (K1, K2, K4, K6, K8): no key leaks — the scanner is not blind, every display masks.

The sweep itself runs at the end of the session (root ``conftest.py``): it scans every
notebook, the project's files, the run's folder and every test report for the run's canary keys
with :mod:`qwen_helpers.secrets_scan`. These tests prove the scanner finds what it must (K2), that
the run is really sandboxed so the sweep sees what the run wrote (K1), and that what the course
shows — settings, clients, every error type, the mock's answers and log — masks the key (K4, K8).
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import os
import pkgutil
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import traceback
from dataclasses import replace
from pathlib import Path

import dashscope
import httpx
import openai
import pydantic
import pytest
from dashscope import Generation
from fakes import fake_key

import qwen_helpers
from qwen_helpers.clients import dashscope_client, generation_kwargs, openai_client
from qwen_helpers.config import ConfigError, load_settings, mask_key
from qwen_helpers.errors import QwenError, to_qwen_error
from qwen_helpers.mock import MockServer
from qwen_helpers.secrets_scan import Scanner, main, project_files, secret_forms

ROOT = Path(__file__).resolve().parent.parent
HELLO = [{"role": "user", "content": "你好"}]
CHAT = "/compatible-mode/v1/chat/completions"
NATIVE = "/api/v1/services/aigc/text-generation/generation"


def leaked(text: str, key: str) -> list[str]:
    """The forms of ``key`` found in ``text`` (empty: nothing leaked)."""
    return [name for name, form in secret_forms(key) if form in text]


# -- K2: the scanner finds a planted canary in each kind of artefact ---------------------------

def notebook(cells: list[dict], metadata: dict | None = None) -> str:
    return json.dumps({"cells": cells, "metadata": metadata or {}, "nbformat": 4,
                       "nbformat_minor": 5}, indent=1)


def code_cell(source: str, outputs: list[dict]) -> dict:
    return {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
            "source": source.splitlines(keepends=True), "outputs": outputs}


def plant(folder: Path, key: str) -> dict[str, Path]:
    """The canary in twelve kinds of file, each in a form a real leak takes."""
    b64 = base64.b64encode(f"user:{key}".encode()).decode()
    percent = "".join(f"%{b:02X}" for b in key.encode())
    files = {
        "stream output": ("a.ipynb", notebook([code_cell("print(k)", [
            {"output_type": "stream", "name": "stdout", "text": [f"key is {key}\n"]}])])),
        "error traceback": ("b.ipynb", notebook([code_cell("call()", [
            {"output_type": "error", "ename": "AuthenticationError", "evalue": "401",
             "traceback": ["Traceback", f"  headers={{'Authorization': 'Bearer {key}'}}"]}])])),
        "text/html display": ("c.ipynb", notebook([code_cell("show()", [
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": [f"<td>…{key[-12:]}</td>"]}}])])),
        "execute_result repr": ("d.ipynb", notebook([code_cell("client.config", [
            {"output_type": "execute_result", "execution_count": 1, "metadata": {},
             "data": {"text/plain": [f"Config(api_key='{key}')"]}}])])),
        "cell source": ("e.ipynb", notebook([code_cell(f'API_KEY = "{key}"', [])])),
        "notebook metadata": ("f.ipynb", notebook([], {"widgets": {"state": {"k": key}}})),
        "recording request": ("qwen-plus-0001.json", json.dumps(
            {"request": {"model": "qwen-plus", "headers": {"Authorization": f"Basic {b64}"}},
             "response": {"content": "hi"}})),
        "recording response body": ("qwen-plus-0002.json", json.dumps(
            {"request": {"model": "qwen-plus"}, "response": {"content": f"your key: {key}"}})),
        "JSON log line": ("requests.jsonl", json.dumps(
            {"level": "INFO", "message": f"GET /models?api_key={percent}"}) + "\n"),
        "cache file": (".qwen_cache/3f2a.json", json.dumps(
            {"stored_at": 0, "request": {"api_key": key}, "response": {}})),
        ".env copy": (".env copy", f"DASHSCOPE_API_KEY={key}\n"),
        "tracked text file": ("docs/notes.md", f"# Setup\n\nexport DASHSCOPE_API_KEY={key}\n"),
    }
    planted = {}
    for kind, (name, text) in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        planted[kind] = path
    return planted


def test_the_scanner_finds_a_canary_planted_in_each_of_twelve_kinds_of_file(scratch, gate_run):
    key = fake_key()
    planted = plant(scratch, key)
    report = Scanner([key]).scan([scratch])
    flagged = {Path(f.path) for f in report.findings}
    found = [kind for kind, path in planted.items() if path in flagged]
    gate_run["figures"]["planted canaries found (K2)"] = f"{len(found)}/{len(planted)}"
    assert found == list(planted), f"blind to: {sorted(set(planted) - set(found))}"
    assert report.files == 12
    for finding in report.findings:  # a finding never shows the key it found
        assert not leaked(str(finding), key), str(finding)


def test_a_masked_key_is_not_a_finding(scratch):
    key = fake_key()
    plant(scratch, mask_key(key))
    assert Scanner([key]).scan([scratch]).findings == []


def test_a_project_scan_sees_new_files_but_not_the_ignored_env(scratch):
    """``project_files`` is what git would commit: a ``.env copy`` is, ``.env`` is not."""
    key = fake_key()
    plant(scratch, key)
    (scratch / ".env").write_text(f"DASHSCOPE_API_KEY={key}\n")
    (scratch / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    subprocess.run(["git", "init", "-q", str(scratch)], check=True, capture_output=True)
    names = {p.relative_to(scratch).as_posix() for p in project_files(scratch)}
    assert {".env copy", "docs/notes.md", "requests.jsonl"} <= names
    assert ".env" not in names and ".qwen_cache/3f2a.json" not in names  # ignored by git


def test_key_shapes_and_long_bearer_tokens_are_found_without_knowing_the_key():
    scanner = Scanner()
    shapes = {fake_key(): "dashscope-key", "sk-sp-" + secrets.token_hex(16): "dashscope-key",
              "Bearer " + secrets.token_urlsafe(24): "bearer"}
    for text, rule in shapes.items():
        assert [f.rule for f in scanner.scan_text(f"x={text};", "t")] == [rule]
    harmless = ['f"Bearer {settings.api_key}"', "Bearer mock-key-free-tier-exhausted",
                "sk-ab…89", "sk-" + "demo" * 8, "Bearer short"]
    assert [f for text in harmless for f in scanner.scan_text(text, "t")] == []


def test_the_command_line_reads_the_key_from_the_environment_and_never_prints_it(
        scratch, monkeypatch, capsys):
    key = fake_key()
    (scratch / "out.txt").write_text(f"oops {key}")
    monkeypatch.setenv("MY_KEY_FOR_THE_SCAN", key)
    monkeypatch.chdir(scratch)
    assert main([str(scratch), "--key-from-env", "MY_KEY_FOR_THE_SCAN"]) == 1
    out = capsys.readouterr().out
    assert "out.txt:line 1: secret:exact" in out and "files scanned: 1; findings: 1" in out
    assert not leaked(out, key)
    (scratch / "out.txt").write_text("clean")
    assert main([str(scratch)]) == 0


# -- K1: the run is sandboxed, so the end-of-session sweep sees everything it wrote -----------

def test_the_run_writes_only_into_its_own_folder_which_the_sweep_scans(tmp_path, gate_run):
    folder = gate_run["folder"]
    for place in (tmp_path, Path(tempfile.gettempdir()), Path(os.environ["HOME"])):
        assert folder in place.resolve().parents, place
    assert gate_run["canary"].startswith("sk-") and len(gate_run["canary"]) == 35
    assert gate_run["home_canary"].startswith("sk-sp-")
    assert gate_run["key_file"].read_text().strip() == gate_run["home_canary"]


def test_the_canary_is_exported_and_mock_mode_keeps_it_unused(gate_run):
    """What a notebook's kernel gets (``conftest.py``): the canary and ``QWEN_MODE=mock``."""
    settings = load_settings({"DASHSCOPE_API_KEY": gate_run["canary"], "QWEN_MODE": "mock"},
                             dotenv=False)
    assert (settings.mode, settings.key_source) == ("mock", "env")
    assert settings.api_key == "mock-key-valid"  # the demo key is what calls send
    assert not leaked(str(settings) + repr(settings), gate_run["canary"])


# -- K4: settings, clients and every error type show the key masked ----------------------------

def shown(value: object) -> str:
    """Everything a notebook could display of ``value``."""
    parts = [str(value), repr(value)]
    for name in ("_repr_html_", "_repr_markdown_", "summary"):
        method = getattr(value, name, None)
        if callable(method):
            parts.append(str(method()))
    if isinstance(value, BaseException):
        parts.append("".join(traceback.format_exception(value)))
    return "\n".join(parts)


def live_settings(key: str, mock: MockServer):
    settings = load_settings({"DASHSCOPE_API_KEY": key, "QWEN_MODE": "live"}, dotenv=False)
    return replace(settings, compatible_base_url=mock.compatible_base_url,
                   native_base_url=mock.native_base_url)


def test_settings_and_clients_show_the_key_masked(mock):
    key = fake_key()
    settings = live_settings(key, mock)
    assert mask_key(key) in str(settings) and not leaked(shown(settings), key)
    for client in (openai_client(settings), dashscope_client(settings),
                   dashscope_client(settings, "openai")):
        assert not leaked(shown(client), key)
    assert not leaked(shown(generation_kwargs(settings)["base_address"]), key)


def every_error_type() -> set[type]:
    """Every exception class defined in ``qwen_helpers`` (its modules imported to find them)."""
    for module in pkgutil.walk_packages(qwen_helpers.__path__, "qwen_helpers."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return {cls for name, module in list(sys.modules.items())
            if name.startswith("qwen_helpers") and module is not None
            for cls in vars(module).values()
            if isinstance(cls, type) and issubclass(cls, BaseException)
            and cls.__module__.startswith("qwen_helpers")}


class _Quantity(pydantic.BaseModel):
    quantity: int


def error_instances(key: str) -> dict[type, BaseException]:
    """One instance of each error type, built the way a key could reach its message."""
    from qwen_helpers.diagrams.render import GraphvizNotFound
    from qwen_helpers.messages import LanguageError, check_language
    from qwen_helpers.mock.errors import invalid_parameter
    from qwen_helpers.mock.requests import Rejected
    from qwen_helpers.streaming import IncompleteStream, StreamResult
    from qwen_helpers.structured import AnswerNotValid, parse_json_answer

    try:
        parse_json_answer(f'{{"quantity": "{key}"}}', _Quantity)  # a model that echoed a key
    except AnswerNotValid as error:
        not_valid = error

    try:
        load_settings({"DASHSCOPE_API_KEY": key + "\n" + key, "QWEN_MODE": "live"}, dotenv=False)
    except ConfigError as error:
        config_error = error
    qwen = QwenError("auth", f"Incorrect API key provided: {key}. Authorization: Bearer {key}")
    try:
        check_language(key)  # a key pasted into QWEN_LANG by mistake
    except LanguageError as error:
        language_error = error
    return {
        QwenError: qwen, ConfigError: config_error,
        IncompleteStream: IncompleteStream(StreamResult(text="partial", error=to_qwen_error(
            RuntimeError(f"upstream said {key}"), in_stream=True))),
        Rejected: Rejected(invalid_parameter(f"bad header {key[:8]}…")),
        GraphvizNotFound: GraphvizNotFound("dot not found"), LanguageError: language_error,
        AnswerNotValid: not_valid,
    }


def test_every_error_type_shows_the_key_masked():
    key = fake_key()
    instances = error_instances(key)
    missing = every_error_type() - set(instances)
    assert not missing, f"add an instance of {sorted(c.__qualname__ for c in missing)} here"
    for cls, error in instances.items():
        assert not leaked(shown(error), key), cls.__name__


def test_sdk_errors_of_a_401_and_a_refused_connection_never_show_the_key(mock):
    """The rendered traceback of each stack's 401 and connection error, raw and converted."""
    key = fake_key()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    failures: list[object] = []
    for base in (mock.url, dead):
        for call in (
            lambda b: openai.OpenAI(api_key=key, base_url=b + "/compatible-mode/v1", max_retries=0
                                    ).chat.completions.create(model="qwen-plus", messages=HELLO),
            lambda b: dashscope.Client(api_key=key, base_url=b + "/api/v1", max_retries=0
                                       ).chat.completions.create(model="qwen-plus",
                                                                 messages=HELLO),
            lambda b: Generation.call(model="qwen-plus", messages=HELLO, api_key=key,
                                      base_address=b + "/api/v1"),
        ):
            try:
                failures.append(call(base))  # the 1.x module API returns its failure
            except Exception as exc:
                failures.append(exc)
    assert len(failures) == 6
    for failure in failures:
        error = to_qwen_error(failure)
        assert error.kind in ("auth", "connection"), error
        assert not leaked(shown(failure) + shown(error), key), type(failure).__name__
    assert {entry["key"] for entry in mock.requests()} == {mask_key(key)}


# -- K6: a key file in the home folder is never what our flows send ----------------------------

HOME_PROBE = textwrap.dedent("""
    import json, sys
    import dashscope, openai
    from qwen_helpers.clients import dashscope_client, openai_client
    from qwen_helpers.connect import connect, mock_server

    settings = connect(quiet=True)
    hello = [{"role": "user", "content": "hi"}]
    openai_client(settings).chat.completions.create(model="qwen-plus", messages=hello)
    dashscope.Generation.call(model="qwen-plus", messages=hello)
    dashscope_client(settings).chat.completions.create(model="qwen-plus", messages=hello)
    dashscope.Client().chat.completions.create(model="qwen-plus", messages=hello)
    raw = dashscope.Client(api_key=None, base_url=settings.native_base_url,
                           max_retries=0).config.api_key  # the SDK's own fallback
    print(json.dumps({"mode": settings.mode, "source": settings.key_source,
                      "sent": sorted({e["key"] for e in mock_server().requests()}),
                      "sdk_fallback_reads_the_file": raw is not None}))
    mock_server().stop()
""")


def test_a_home_key_file_is_never_what_our_flows_send(scratch):
    """The dashscope SDK falls back to ``~/.dashscope/api_key``; connect() never lets it."""
    home = scratch / "home"
    key = "sk-sp-" + secrets.token_hex(16)
    (home / ".dashscope").mkdir(parents=True)
    (home / ".dashscope" / "api_key").write_text(key + "\n")
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("DASHSCOPE_API_KEY", "OPENAI_API_KEY", "QWEN_MODE",
                                   "DASHSCOPE_API_KEY_FILE_PATH")}
    environment["HOME"] = str(home)
    done = subprocess.run([sys.executable, "-c", HOME_PROBE], cwd=scratch, env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts == {"mode": "mock", "source": "none", "sent": ["mock-…id"],
                     "sdk_fallback_reads_the_file": True}
    assert not leaked(done.stdout + done.stderr, key)


def test_this_run_never_reads_the_real_home_key_file():
    import pwd

    real_home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert Path(os.environ["HOME"]) != real_home
    from dashscope.common.constants import DEFAULT_DASHSCOPE_API_KEY_FILE_PATH

    assert real_home not in Path(DEFAULT_DASHSCOPE_API_KEY_FILE_PATH).parents  # fixed at import


# -- K8: the mock's authentication never echoes the key it was given ---------------------------

BODIES = {CHAT: {"model": "qwen-plus", "messages": HELLO},
          NATIVE: {"model": "qwen-plus", "input": {"messages": HELLO}, "parameters": {}}}


def raw_post(port: int, path: str, authorization: bytes) -> tuple[int, bytes]:
    """A POST with an exact Authorization line, which httpx would refuse to send."""
    body = json.dumps(BODIES.get(path, {})).encode()
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request + authorization + b"\r\n\r\n" + body)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


@pytest.mark.parametrize("path", [CHAT, NATIVE, "/compatible-mode/v1/no-such-path"])
@pytest.mark.parametrize("variant", ["empty", "scheme only", "wrong scheme", "lower case",
                                     "no space", "unknown key", "tab", "trailing space",
                                     "two keys", "other region", "basic", "huge"])
def test_hostile_authorization_is_401_and_never_echoed(mock, path, variant):
    key = fake_key()
    value = {"empty": b"", "scheme only": b"Bearer", "wrong scheme": b"Token " + key.encode(),
             "lower case": b"bearer " + key.encode(), "no space": b"Bearer" + key.encode(),
             "unknown key": b"Bearer " + key.encode(), "tab": b"Bearer\t" + key.encode(),
             "trailing space": b"Bearer " + key.encode() + b"   ",
             "two keys": b"Bearer " + key.encode() + b" Bearer mock-key-valid",
             "other region": b"Bearer mock-key-intl",
             "basic": b"Basic " + base64.b64encode(b"user:" + key.encode()),
             "huge": b"Bearer " + key.encode() * 200}[variant]
    status, payload = raw_post(mock.port, path, b"Authorization: " + value)
    assert status == 401, payload[:300]
    body = json.loads(payload)
    code = body["error"]["code"] if "error" in body else body["code"]
    assert code in ("InvalidApiKey", "invalid_api_key")
    assert not leaked(payload.decode("latin-1"), key) and len(payload) < 1024
    logged = json.dumps(mock.requests())
    assert not leaked(logged, key)


def test_a_key_with_a_line_break_never_reaches_the_mock_and_the_sdks_say_so(mock, caplog):
    caplog.set_level(logging.DEBUG)
    key = fake_key()
    with pytest.raises(httpx.LocalProtocolError):  # h11 refuses a header with a line break
        httpx.post(mock.compatible_base_url + "/chat/completions", json=BODIES[CHAT],
                   headers={"Authorization": f"Bearer {key}\n"})
    for damaged in (f"Bearer {key}\n", f"Bearer {key}\x00", f"Bearer {key}" * 400):
        status, payload = raw_post(mock.port, CHAT, f"Authorization: {damaged}".encode())
        assert status == 400 and not leaked(payload.decode("latin-1"), key)  # not valid HTTP
    assert not leaked(json.dumps(mock.requests()), key)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                       if r.name.startswith(("aiohttp", "qwen_helpers")))  # the mock's side
    assert not leaked(logged, key)  # nor in the mock's log (aiohttp's own quoted the line)
