"""Does the mock's simulated timing match what a client measures?

For each setting of time to first token (``ttft``) and ``tokens_per_second``, an in-process
``MockServer`` (as in a notebook) streams an answer to an ``openai`` client, and
:func:`qwen_helpers.streaming.collect_openai` measures the time to first token and the total.
The mock sends a role-only chunk at once, the first piece of text ``ttft`` later, then one
event per ``1 / tokens_per_second``; so the client's rate is the events after the first piece
over the time after it. Prints a Markdown table of medians; never asserts.

    python bench/timing_fidelity.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import openai
from common import KEY, Section, percentile

from qwen_helpers.mock import MockServer
from qwen_helpers.streaming import collect_openai

SETTINGS = [(0.05, 400.0), (0.2, 100.0), (0.5, 50.0), (0.0, 2000.0)]
"""(ttft seconds, tokens per second): the mock's default first, then slower and faster ones."""
QUESTION = [{"role": "user", "content": "Tell me about the DashScope mock, please."}]


def measure(ttft: float, rate: float, repeat: int) -> dict[str, float]:
    """Median measured time to first token and rate, and the events per stream."""
    ttfts, rates, events = [], [], 0
    with MockServer(ttft=ttft, tokens_per_second=rate) as server:
        client = openai.OpenAI(api_key=KEY, base_url=server.compatible_base_url)
        for _ in range(repeat + 1):
            result = collect_openai(lambda c=client: c.chat.completions.create(
                model="qwen-plus", messages=QUESTION, stream=True))
            if not result.complete or result.ttft is None:
                raise RuntimeError(f"the stream did not finish: {result.summary()}")
            # Events after the first piece: the rest of the chunks, then [DONE].
            events = result.chunks - 1
            ttfts.append(result.ttft)
            rates.append(events / (result.total_time - result.ttft))
        client.close()
    # The first stream also pays for the client's connection: left out.
    return {"ttft": percentile(ttfts[1:], 0.5), "rate": percentile(rates[1:], 0.5),
            "events": events}


def run(repeat: int = 5) -> Section:
    """The table: configured beside measured, for each setting."""
    began = time.perf_counter()
    section = Section("Simulated timing against what a client measures",
                      ["ttft set s", "ttft measured s", "difference ms", "tokens/s set",
                       "tokens/s measured", "measured/set"])
    for ttft, rate in SETTINGS:
        m = measure(ttft, rate, repeat)
        section.rows.append((f"{ttft:.2f}", f"{m['ttft']:.3f}", (m["ttft"] - ttft) * 1000,
                             f"{rate:g}", m["rate"], f"{m['rate'] / rate:.3f}"))
    section.notes = [
        f"Median of {repeat} streams per row (after one to open the connection), each "
        f"{m['events']:.0f} events after the first piece of text; mock and client in one "
        "process, as in a notebook. `collect_openai` times from the call, so the measured "
        "time to first token includes sending the request.",
        "Each event is due at a time fixed from the stream's start, so late wake-ups do not add "
        "up; events due less than 1 ms apart go out together, which is why very fast rates "
        "come out in bursts but with the right average.",
    ]
    section.seconds = time.perf_counter() - began
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    print(run(parser.parse_args().repeat).markdown())


if __name__ == "__main__":
    main()
