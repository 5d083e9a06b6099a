"""A bare aiohttp server answering every POST with one fixed body: the benchmarks' baseline.

At start it builds, once, the bytes the mock sends for ``你好`` to ``qwen-plus`` (its recording)
— the JSON completion, or the 11 server-sent events when the body says ``"stream": true`` —
and the same header names with fixed values. Each request then costs only what aiohttp costs:
reading the body, writing fixed bytes. The stream goes out in one write, as the mock writes the
events that are due at the same moment (here all of them: the benchmark's mock never waits).
None of the mock's work (key check, validation, rate limit, answer, request log) is done.
"""

from __future__ import annotations

import asyncio

import common  # noqa: F401  (puts the checkout on sys.path)
from aiohttp import web

from qwen_helpers.mock import answers, wire
from qwen_helpers.mock.requests import parse_compatible

REQUEST = {"model": "qwen-plus", "messages": [{"role": "user", "content": "你好"}]}
REQUEST_ID = "3f2a9c1e-7b44-4d02-8e1f-5a6b7c8d9e01"
HEADERS = {
    "x-request-id": REQUEST_ID, "x-dashscope-call-gateway": "true",
    "vary": "Origin,Access-Control-Request-Method,Access-Control-Request-Headers, "
            "Accept-Encoding",
    "req-cost-time": "0", "req-arrive-time": "1764000000000", "resp-start-time": "1764000000000",
    "x-envoy-upstream-service-time": "0", "Server": "istio-envoy",
}


def fixed_bytes() -> tuple[bytes, bytes]:
    """The JSON body and the stream's events, exactly as the mock frames them."""
    plain = parse_compatible(REQUEST)
    streamed = parse_compatible({**REQUEST, "stream": True})
    result = answers.answer(plain, answers.Recordings([answers.PACKAGE_RECORDINGS]))
    completion = wire.dumps(wire.compat_json(plain, result, REQUEST_ID, 1764000001)).encode()
    events = [wire.compat_sse(chunk)
              for chunk in wire.compat_chunks(streamed, result, REQUEST_ID, 1764000001)]
    return completion, b"".join(events + [wire.compat_sse("[DONE]")])


COMPLETION, STREAM = fixed_bytes()


async def answer(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    if not body.get("stream"):
        return web.Response(body=COMPLETION, content_type="application/json", headers=HEADERS)
    response = web.StreamResponse(headers={**HEADERS,
                                           "Content-Type": wire.SSE_CONTENT_TYPE})
    await response.prepare(request)
    await response.write(STREAM)
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
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
