"""Scenario B · a streamed chat (流式对话): the reply appears as it is written; the chat remembers.

Run from the project's root:

    python examples/b_streaming_chat.py                     # chat; an empty line or Ctrl-D ends it
    python examples/b_streaming_chat.py --once "你是谁？"    # one question, then exit
    echo "你是谁？" | python examples/b_streaming_chat.py    # questions from standard input

With no key it talks to the local mock (offline, free); with DASHSCOPE_API_KEY set (environment
or .env) to the real service. The text of each chunk is ``chunk.choices[0].delta.content``, not
the document's ``chunk.delta.content``; the first chunk carries only the role and the last only
the usage, so both have no text.
"""

from __future__ import annotations

import argparse
import sys

from qwen_helpers.clients import openai_client
from qwen_helpers.connect import connect


def ask(client, model: str, history: list[dict]) -> str:
    """Stream the answer to ``history``, printing it as it comes; return its whole text."""
    stream = client.chat.completions.create(model=model, messages=history, stream=True,
                                            stream_options={"include_usage": True})
    parts, usage = [], None
    for chunk in stream:
        if chunk.usage:                                    # the last chunk: usage, choices == []
            usage = chunk.usage
        if chunk.choices and chunk.choices[0].delta.content:   # the first: role only, no text
            print(chunk.choices[0].delta.content, end="", flush=True)
            parts.append(chunk.choices[0].delta.content)
    print()
    if usage:
        print(f"  [{usage.prompt_tokens} tokens in, {usage.completion_tokens} out]")
    return "".join(parts)


def typed_questions():
    """Questions typed at the terminal (or piped in), until an empty line or end of input."""
    while True:
        try:
            question = input("you> " if sys.stdin.isatty() else "").strip()
        except (EOFError, KeyboardInterrupt):                 # Ctrl-D or Ctrl-C
            return
        if not question:
            return
        yield question


def main(argv: list[str] | None = None) -> None:
    """Chat until an empty line or end of input; ``--once`` asks one question."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", metavar="QUESTION", help="ask one question and exit")
    once = parser.parse_args(argv).once

    settings = connect()                                   # mock without a key, live with one
    client = openai_client(settings)
    history = [{"role": "system", "content": "You are a helpful assistant."}]
    for question in [once] if once else typed_questions():
        history.append({"role": "user", "content": question})
        print("qwen> ", end="", flush=True)
        answer = ask(client, settings.model, history)
        history.append({"role": "assistant", "content": answer})   # the chat remembers
    print(f"({len(history) // 2} turn(s) in this chat)")


if __name__ == "__main__":
    main()
