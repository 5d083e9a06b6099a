"""What each SDK adds to one chat call, beside the same call made with raw ``httpx``.

The command-line mock runs in its own process with no simulated delay, so a call's time is the
round trip plus what the client does: building the request, parsing the answer into objects,
its session and retry machinery. Each client makes its calls in turns with the others (rounds
of a few calls each), so the machine's other work falls on all alike. Prints a Markdown table;
never asserts.

    python bench/sdk_overhead.py [--calls 300] [--rounds 6]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import dashscope
import httpx
import openai
from common import FAST_MOCK, KEY, Section, percentile, start_mock, stop

MESSAGES = [{"role": "user", "content": "你好"}]
MODEL = "qwen-plus"


def clients(url: str) -> dict[str, tuple[str, Callable[[], Any], Callable[[], None]]]:
    """name → (dialect, one call, close) for every client measured."""
    compatible, native = f"{url}/compatible-mode/v1", f"{url}/api/v1"
    headers = {"Authorization": f"Bearer {KEY}"}
    raw = httpx.Client(headers=headers)
    oa = openai.OpenAI(api_key=KEY, base_url=compatible)
    ds2 = dashscope.Client(api_key=KEY, base_url=native)

    def raw_compatible() -> Any:
        response = raw.post(f"{compatible}/chat/completions",
                            json={"model": MODEL, "messages": MESSAGES})
        return response.raise_for_status().json()["choices"][0]["message"]["content"]

    def raw_native() -> Any:
        response = raw.post(f"{native}/services/aigc/text-generation/generation",
                            json={"model": MODEL, "input": {"messages": MESSAGES},
                                  "parameters": {"result_format": "message"}})
        return response.raise_for_status().json()["output"]["choices"][0]["message"]["content"]

    def with_openai() -> Any:
        return oa.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message

    def with_generation() -> Any:
        response = dashscope.Generation.call(model=MODEL, messages=MESSAGES, api_key=KEY,
                                             base_address=native, result_format="message")
        if response.status_code != 200:
            raise RuntimeError(f"Generation.call answered {response.status_code}")
        return response.output

    def with_client() -> Any:
        return ds2.chat.completions.create(model=MODEL, messages=MESSAGES)

    def nothing() -> None:
        return None

    return {
        "httpx (compatible)": ("compatible", raw_compatible, raw.close),
        "openai `chat.completions.create`": ("compatible", with_openai, oa.close),
        "httpx (native)": ("native", raw_native, nothing),
        "dashscope `Generation.call`": ("native", with_generation, nothing),
        "dashscope 2.0 `Client`": ("native", with_client, ds2.close),
    }


def run(calls: int = 300, rounds: int = 6) -> Section:
    """Median and p90 per call, the client's CPU per call, and the overhead over raw httpx."""
    began = time.perf_counter()
    process, url = start_mock(*FAST_MOCK, "--rpm", "100000000")
    try:
        measured = clients(url)
        times: dict[str, list[float]] = {name: [] for name in measured}
        cpu = dict.fromkeys(measured, 0.0)
        for _, call, _ in measured.values():
            for _ in range(10):  # warm up: connections, imports, lazy set-up
                call()
        per_round = max(1, calls // rounds)
        for number in range(rounds):
            order = list(measured) if number % 2 == 0 else list(measured)[::-1]
            for name in order:
                call = measured[name][1]
                cpu_before = time.process_time()
                for _ in range(per_round):
                    started = time.perf_counter()
                    call()
                    times[name].append(time.perf_counter() - started)
                cpu[name] += time.process_time() - cpu_before
        for _, _, close in measured.values():
            close()
    finally:
        stop(process)
    baseline = {dialect: percentile(times[name], 0.5)
                for name, (dialect, _, _) in measured.items() if name.startswith("httpx")}
    section = Section("What the SDKs add per call",
                      ["client", "dialect", "median ms", "p90 ms", "client CPU ms/call",
                       "added to the median ms", "× httpx"])
    for name, (dialect, _, _) in measured.items():
        median = percentile(times[name], 0.5)
        section.rows.append((name, dialect, median * 1000, percentile(times[name], 0.9) * 1000,
                             cpu[name] / len(times[name]) * 1000,
                             (median - baseline[dialect]) * 1000,
                             f"{median / baseline[dialect]:.1f}"))
    section.notes = [
        f"{per_round * rounds} calls per client after 10 warm-up calls, in {rounds} alternating "
        "rounds, one at a time, against the command-line mock in its own process "
        "(`--ttft 0`, no throttling). A non-streaming `你好` to `qwen-plus`.",
        "Client CPU is this process's CPU time per call (the mock's own time is not in it).",
        "All four keep their connection open between calls (`Generation.call` through the "
        "shared `requests` session `dashscope` 2.0.2 keeps per process).",
    ]
    section.seconds = time.perf_counter() - began
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="per client")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    print(run(args.calls, args.rounds).markdown())


if __name__ == "__main__":
    main()
