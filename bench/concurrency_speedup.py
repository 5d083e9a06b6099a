"""The concurrency lesson's speed-up, measured: threads and asyncio against one call at a time.

An in-process ``MockServer`` (as in a notebook) answers every call after a fixed ``latency``;
``qwen_helpers.concurrency.run_all`` (threads, ``openai.OpenAI``) and ``arun_all`` (asyncio,
``openai.AsyncOpenAI``) make the same calls with a bound on how many are in flight. With N calls
of latency L at most C at a time, the ideal is ``ceil(N / C) * L`` against ``N * L`` one at a
time. Prints a Markdown table; never asserts.

    python bench/concurrency_speedup.py [--calls 24] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

import openai
from common import KEY, Section

from qwen_helpers.concurrency import arun_all, run_all
from qwen_helpers.mock import MockServer


def run(calls: int = 24, latency: float = 0.2, bounds: tuple[int, ...] = (4, 8)) -> Section:
    """Sequential, then each bound with threads and with asyncio."""
    began = time.perf_counter()
    questions = [[{"role": "user", "content": f"Question {n}"}] for n in range(calls)]
    section = Section("The concurrency lesson's speed-up",
                      ["how", "in flight", "wall s", "speed-up", "ideal", "fraction of ideal"])
    with MockServer(latency=latency, ttft=0.0, tokens_per_second=1e6, rpm=100_000) as server:
        client = openai.OpenAI(api_key=KEY, base_url=server.compatible_base_url, max_retries=0)

        def ask(messages: list) -> str:
            reply = client.chat.completions.create(model="qwen-plus", messages=messages)
            return reply.choices[0].message.content or ""

        async def asking(bound: int) -> list:
            async with openai.AsyncOpenAI(api_key=KEY, base_url=server.compatible_base_url,
                                          max_retries=0) as aclient:
                async def one(messages: list) -> str:
                    reply = await aclient.chat.completions.create(model="qwen-plus",
                                                                  messages=messages)
                    return reply.choices[0].message.content or ""

                return await arun_all(one, questions, concurrency=bound)

        ask(questions[0])  # open the connection
        started = time.perf_counter()
        for messages in questions:
            ask(messages)
        sequential = time.perf_counter() - started
        section.rows.append(("one at a time", 1, sequential, "1.0", "1.0", "1.00"))
        for bound in bounds:
            ideal = calls / math.ceil(calls / bound)
            for how, job in (("`run_all` (threads)",
                              lambda b=bound: run_all(ask, questions, concurrency=b)),
                             ("`arun_all` (asyncio)",
                              lambda b=bound: asyncio.run(asking(b)))):
                started = time.perf_counter()
                outcomes = job()
                wall = time.perf_counter() - started
                failed = [o for o in outcomes if not o.ok]
                if failed:
                    raise RuntimeError(f"{len(failed)} calls failed: {failed[0].error!r}")
                speedup = sequential / wall
                section.rows.append((how, bound, wall, f"{speedup:.1f}", f"{ideal:.1f}",
                                     f"{speedup / ideal:.2f}"))
        client.close()
    section.notes = [
        f"{calls} non-streaming calls, each answered after the mock's `latency` of {latency:g} s; "
        "mock and clients in one process, as in the notebook. The asyncio rows include "
        "opening an `AsyncOpenAI` client."]
    section.seconds = time.perf_counter() - began
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    print(run(args.calls, args.latency).markdown())


if __name__ == "__main__":
    main()
