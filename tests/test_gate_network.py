"""Gate 2 (K7): the whole run — tests, nbval's kernels, every subprocess — stays on loopback.

The guard is ``tools/guard/network_guard.py``, installed in the pytest process by the root
``conftest.py`` and in every Python process started from it by ``tools/guard/sitecustomize.py``
(on ``PYTHONPATH``). Each refused attempt is one line in the run's guard log; the session fails
if the log has any. The deliberate attempts below run in child processes with a log of their
own, so they prove the guard without failing the run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import network_guard  # registered by the root conftest.py
import pytest

from qwen_helpers.mock import DEMO_KEY, MockServer, wait_until_ready

GUARD = Path(network_guard.__file__).resolve().parent


def guarded_environment(log: Path) -> dict[str, str]:
    """This run's environment, with the guard writing to ``log`` instead of the run's log."""
    return {**os.environ, network_guard.LOG_VARIABLE: str(log)}


@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
    ("::ffff:127.0.0.1", True), ("localhost", True), ("LOCALHOST", True), (None, True),
    ("", True), ("0.0.0.0", True), ("::", True), (b"127.0.0.1", True),
    ("10.255.255.1", False), ("192.168.1.1", False), ("8.8.8.8", False),
    ("::ffff:8.8.8.8", False), ("2001:4860:4860::8888", False), ("dashscope.aliyuncs.com", False),
    ("localhost.evil.com", False), ("127.0.0.1.nip.io", False),
])
def test_only_loopback_hosts_pass(host, allowed):
    assert network_guard.is_loopback_host(host) is allowed


def test_unix_sockets_and_other_families_always_pass():
    assert network_guard.allowed(socket.AF_UNIX, "/tmp/any.sock")
    assert not network_guard.allowed(socket.AF_INET, ("10.255.255.1", 80))
    assert network_guard.allowed(socket.AF_INET6, ("::1", 80, 0, 0))


def test_this_process_and_its_children_are_guarded(gate_run):
    assert network_guard.installed()
    assert os.environ[network_guard.LOG_VARIABLE] == str(gate_run["guard_log"])
    assert str(GUARD) == os.environ["PYTHONPATH"].split(os.pathsep)[0]


PROBE = textwrap.dedent("""
    import json, socket, sys, time
    import network_guard
    results = {"installed": network_guard.installed()}

    def attempt(name, call):
        started = time.monotonic()
        try:
            call()
            results[name] = "allowed"
        except OSError as error:
            results[name] = type(error).__name__
        results[name + " seconds"] = round(time.monotonic() - started, 3)

    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
    port = server.getsockname()[1]
    attempt("loopback connect", lambda: socket.create_connection(("127.0.0.1", port)).close())
    attempt("localhost lookup", lambda: socket.getaddrinfo("localhost", port))
    attempt("unix socketpair", lambda: socket.socketpair())
    attempt("private address", lambda: socket.create_connection(("10.255.255.1", 80), 5))
    attempt("raw connect", lambda: socket.socket().connect(("192.0.2.1", 443)))
    attempt("connect_ex", lambda: socket.socket().connect_ex(("198.51.100.7", 443)))
    attempt("public name", lambda: socket.getaddrinfo("dashscope.aliyuncs.com", 443))
    attempt("udp to a resolver", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            .sendto(b"x", ("8.8.8.8", 53)))
    import openai
    from qwen_helpers.errors import to_qwen_error
    try:
        openai.OpenAI(api_key="mock-key-valid", max_retries=0,
                      base_url="https://dashscope.aliyuncs.com/compatible-mode/v1"
                      ).chat.completions.create(model="qwen-plus", messages=[])
    except Exception as error:
        results["openai to the real service"] = to_qwen_error(error).kind
    print(json.dumps(results))
""")


def test_a_child_process_is_refused_everything_but_loopback_and_each_attempt_is_recorded(
        tmp_path):
    log = tmp_path / "attempts.jsonl"
    done = subprocess.run([sys.executable, "-c", PROBE], env=guarded_environment(log),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["installed"] is True
    for name in ("loopback connect", "localhost lookup", "unix socketpair"):
        assert results[name] == "allowed", name
    for name in ("private address", "raw connect", "connect_ex"):
        assert results[name] == "NetworkBlocked", name
        assert results[name + " seconds"] < 1  # refused at once: no timeout waited for
    assert results["public name"] == "LookupBlocked"
    assert results["udp to a resolver"] == "NetworkBlocked"
    assert results["openai to the real service"] == "connection"
    attempts = network_guard.attempts(log)
    assert [a["action"] for a in attempts] == [
        "create_connection", "connect", "connect_ex", "getaddrinfo", "sendto",
        "create_connection"]  # httpx (under openai) opens with socket.create_connection
    assert "dashscope.aliyuncs.com" in attempts[-1]["target"]
    assert all(a["pid"] != os.getpid() and a["caller"] for a in attempts)


def test_a_jupyter_kernel_like_nbvals_is_guarded(tmp_path):
    """nbval starts kernels this way (``--nbval-current-env``); ZeroMQ on loopback still works."""
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, start_new_kernel

    log, outputs = tmp_path / "kernel-attempts.jsonl", []
    manager, client = start_new_kernel(kernel_name=CURRENT_ENV_KERNEL_NAME,
                                       env=guarded_environment(log), cwd=str(tmp_path))
    try:
        reply = client.execute_interactive(
            "import socket\ntry:\n    socket.create_connection(('10.255.255.1', 80), 5)\n"
            "except OSError as e:\n    print(type(e).__name__)", timeout=60,
            output_hook=lambda message: outputs.append(message))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok"
    printed = "".join(m["content"].get("text", "") for m in outputs)
    assert "NetworkBlocked" in printed
    assert [a["action"] for a in network_guard.attempts(log)] == ["create_connection"]


def test_the_mock_command_line_is_guarded_and_record_mode_answers_502(tmp_path):
    """A recording mock pointed at the real service cannot reach it: 502, and one attempt."""
    log = tmp_path / "cli-attempts.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "qwen_helpers.mock", "--port", "0", "--record",
         "https://dashscope.aliyuncs.com", "--record-to", str(tmp_path / "recordings")],
        env={**guarded_environment(log), "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split()[3]
        assert wait_until_ready(url)
        started = time.monotonic()
        response = httpx.post(f"{url}/compatible-mode/v1/chat/completions", timeout=30,
                              headers={"Authorization": f"Bearer {DEMO_KEY}"},
                              json={"model": "qwen-plus", "messages": [
                                  {"role": "user", "content": "hi"}]})
        assert time.monotonic() - started < 10
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
        process.stderr.close()
    assert response.status_code == 502
    assert "could not be reached" in response.text and DEMO_KEY not in response.text
    attempts = network_guard.attempts(log)
    assert attempts and {a["action"] for a in attempts} == {"getaddrinfo"}
    assert "dashscope.aliyuncs.com" in attempts[0]["target"]


def test_loopback_servers_and_clients_work_under_the_guard():
    with MockServer() as server:
        reply = httpx.get(f"http://localhost:{server.port}/_mock/health", timeout=5)
        assert reply.json() == {"ok": True}
