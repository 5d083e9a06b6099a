"""Scenario A · a simple question and answer (简单的问答): one question, one answer, its tokens.

Run from the project's root:

    python examples/a_simple_qa.py "your question"

With no key it asks the local mock (offline, free); with DASHSCOPE_API_KEY set (environment or
.env) it asks the real service. The source document calls ``qwen-turbo``, "the cheapest model";
qwen-turbo was retired on 2026-10-10, so this asks the cheapest current model instead
(``qwen_helpers.models.CHEAPEST_MODEL``, qwen-flash; notebook 06 shows why it is the one).
"""

from __future__ import annotations

import argparse

from qwen_helpers.clients import openai_client
from qwen_helpers.connect import connect
from qwen_helpers.models import CHEAPEST_MODEL
from qwen_helpers.usage import MARKETS, price_of


def main(argv: list[str] | None = None) -> None:
    """Ask one question and print the answer, the tokens and what they cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="*", default=["你好"], help="what to ask (default: 你好)")
    question = " ".join(parser.parse_args(argv).question)

    settings = connect()                                   # mock without a key, live with one
    client = openai_client(settings)                       # the SDK retries 429/5xx by itself
    reply = client.chat.completions.create(
        model=CHEAPEST_MODEL,
        messages=[{"role": "user", "content": question}],
    )
    print(reply.choices[0].message.content)

    usage = reply.usage                                    # prompt_/completion_tokens
    print(f"model: {reply.model} · tokens: {usage.prompt_tokens} in + "
          f"{usage.completion_tokens} out = {usage.total_tokens}")
    price = price_of(CHEAPEST_MODEL, settings.region)      # a dated price, with its source
    if price and price.input is not None and price.output is not None:
        cost = (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1e6
        print(f"cost: about {MARKETS[price.market]} {cost:.7f} · price: {price.describe()}")


if __name__ == "__main__":
    main()
