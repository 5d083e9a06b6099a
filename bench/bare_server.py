"""A bare aiohttp server answering every POST with one fixed body: the benchmarks' baseline.

It returns the reference's example E1 as JSON, or example E3 as a fixed stream when the body
says ``"stream": true`` — the same bytes a client of the mock receives, with none of its work.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

COMPLETION = json.dumps({
    "choices": [{"message": {"role": "assistant", "content": "你好！有什么我可以帮你的吗？"},
                 "finish_reason": "stop", "index": 0, "logprobs": None}],
    "object": "chat.completion",
    "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
    "created": 1764000000, "system_fingerprint": None, "model": "qwen-plus",
    "id": "chatcmpl-3f2a9c1e-7b44-9d02-8e1f-5a6b7c8d9e01"}, ensure_ascii=False).encode()
CHUNK = ('data: {"choices":[{"delta":{"content":"你好"},"finish_reason":null,"index":0,'
         '"logprobs":null}],"object":"chat.completion.chunk","usage":null,"created":1764000000,'
         '"system_fingerprint":null,"model":"qwen-plus","id":"chatcmpl-x"}\n\n').encode()
STREAM = [CHUNK] * 10 + [b"data: [DONE]\n\n"]


async def answer(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    if not body.get("stream"):
        return web.Response(body=COMPLETION, content_type="application/json")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream;charset=UTF-8"})
    await response.prepare(request)
    for chunk in STREAM:
        await response.write(chunk)
    await response.write_eof()
    return response


async def main() -> None:
    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"bare server on http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
