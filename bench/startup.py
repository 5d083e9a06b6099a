"""How long the mock takes to be ready: in a kernel (``MockServer``) and on the command line.

Each measurement starts a fresh Python process, as a new kernel or a new terminal does:

- in-process: importing ``qwen_helpers.mock``, then ``MockServer().start()`` until it returns
  (it returns once the port accepts connections), then the first chat answer;
- command line: from starting ``python -m qwen_helpers.mock --port N`` until the port accepts a
  TCP connection, and until ``/_mock/health`` answers.

Prints a Markdown table of medians; never asserts.

    python bench/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.request

from common import ROOT, Section, free_port, percentile, stop

IN_PROCESS = r"""
import json, time
import httpx
started = time.perf_counter()
from qwen_helpers.mock import MockServer
imported = time.perf_counter()
server = MockServer().start()
ready = time.perf_counter()
answer = httpx.post(server.compatible_base_url + "/chat/completions",
                    headers={"Authorization": "Bearer mock-key-valid"},
                    json={"model": "qwen-plus", "messages": [{"role": "user", "content": "你好"}],
                          "max_tokens": 1})
answered = time.perf_counter()
assert answer.status_code == 200, answer.status_code
server.stop()
print(json.dumps({"import": imported - started, "start": ready - imported,
                  "first answer": answered - ready}))
"""


def in_process() -> dict[str, float]:
    """One fresh interpreter: seconds to import, to start, and to the first answer."""
    began = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", IN_PROCESS], cwd=ROOT, text=True,
                            capture_output=True, check=True, timeout=60).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["interpreter and all"] = time.perf_counter() - began
    return figures


def command_line() -> dict[str, float]:
    """One ``python -m qwen_helpers.mock``: seconds until it accepts and until it is healthy."""
    port = free_port()
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "qwen_helpers.mock", "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures: dict[str, float] = {}
    try:
        deadline = began + 60
        while "accepts" not in figures and time.perf_counter() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    figures["accepts"] = time.perf_counter() - began
                else:
                    time.sleep(0.002)
        url = f"http://127.0.0.1:{port}/_mock/health"
        with urllib.request.urlopen(url, timeout=10) as response:
            json.load(response)
        figures["healthy"] = time.perf_counter() - began
    finally:
        stop(process)
    return figures


def run(repeat: int = 5) -> Section:
    """Medians over ``repeat`` fresh processes of each kind."""
    began = time.perf_counter()
    inside = [in_process() for _ in range(repeat)]
    outside = [command_line() for _ in range(repeat)]

    def row(what: str, samples: list[dict[str, float]], key: str) -> tuple[str, float, float]:
        values = [s[key] for s in samples]
        return (what, percentile(values, 0.5) * 1000, max(values) * 1000)

    section = Section("Start-up", ["what", "median ms", "slowest ms"], [
        row("`import qwen_helpers.mock`", inside, "import"),
        row("`MockServer().start()` until it accepts connections", inside, "start"),
        row("then the first chat answer", inside, "first answer"),
        row("fresh interpreter to first answer, all told", inside, "interpreter and all"),
        row("`python -m qwen_helpers.mock` until the port accepts", outside, "accepts"),
        row("… until `/_mock/health` answers", outside, "healthy"),
    ])
    section.notes = [f"{repeat} fresh processes of each kind. `start()` includes loading the "
                     "Qwen tokenizer shipped in `dashscope` (the mock counts tokens for real)."]
    section.seconds = time.perf_counter() - began
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    print(run(parser.parse_args().repeat).markdown())


if __name__ == "__main__":
    main()
