"""Scenario C · errors and retries (处理错误和重试): 429 → wait 1 s → 429 → wait 2 s → 200.

Run from the project's root:

    python examples/c_errors_and_retries.py                   # the document's flow, real waits
    python examples/c_errors_and_retries.py --time-scale 0.1  # the same, 10× faster

With no key it asks the local mock and scripts the faults (the ``X-Mock-Scenario`` header makes
the mock answer 429, 429, then 200); with DASHSCOPE_API_KEY set it asks the real service with
the same retries and no scripted faults. One owner for retries: ``qwen_helpers.retry`` retries,
so the ``openai`` client's own retries are off (``retry_owner="helper"``, ``max_retries=0``).
``--time-scale`` (default: the QWEN_TIME_SCALE variable, else 1) multiplies every wait.
"""

from __future__ import annotations

import argparse
import os
import time

from qwen_helpers.clients import openai_client
from qwen_helpers.connect import connect
from qwen_helpers.errors import QwenError
from qwen_helpers.retry import RetryPolicy, call_with_retry

# The document's waits: 1 s, then 2 s (doubling). No jitter, so they are exactly those; in
# production keep the default jitter="full", so that many clients do not retry in step.
POLICY = RetryPolicy(max_attempts=4, base=1.0, multiplier=2.0, jitter="none")


def main(argv: list[str] | None = None) -> int:
    """Make one call with retries; print every attempt and wait; return an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float,
                        default=float(os.environ.get("QWEN_TIME_SCALE", "1")),
                        help="multiply every wait by this (default: QWEN_TIME_SCALE, else 1)")
    scale = parser.parse_args(argv).time_scale
    if scale != 1:
        print(f"clock: {1 / scale:g}× faster than real (time scale {scale:g})")

    settings = connect()
    client = openai_client(settings, retry_owner="helper")        # the SDK's retries: off
    faults = {"X-Mock-Scenario": "429,429,200"} if settings.mode == "mock" else {}
    if faults:
        print("the mock will answer:", faults["X-Mock-Scenario"])

    def send():
        return client.chat.completions.create(
            model=settings.model, messages=[{"role": "user", "content": "你好"}],
            extra_headers=faults)

    def wait(seconds: float) -> None:
        print(f"  … failed; retrying in {seconds:g} s", flush=True)
        time.sleep(seconds * scale)

    try:
        result = call_with_retry(send, policy=POLICY, sleep=wait)
    except QwenError as error:                             # gave up: the last error, explained
        print("\n".join(f"attempt {a.number}: {a.error.status} {a.error.code}"
                        for a in error.attempts))
        print("gave up:", error)
        return 1
    print(result.summary())                                # each attempt, its rule and its wait
    statuses = [a.error.status if a.error else 200 for a in result.attempts]
    print("statuses:", statuses, "· waits:", [a.wait for a in result.attempts if a.wait], "s")
    print("answer:", result.value.choices[0].message.content)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
