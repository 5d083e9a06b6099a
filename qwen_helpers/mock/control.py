"""The mock's own endpoints under ``/_mock/``: health, the request log, default scenarios."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .handlers import closing, read_body
from .state import STATE


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def get_requests(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response({"requests": [dict(e) for e in list(state.log)],
                              "active_streams": state.active_streams})


async def delete_requests(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.json_response({"cleared": True})


async def get_scenario(request: web.Request) -> web.Response:
    return web.json_response({"defaults": request.app[STATE].scenarios.defaults()})


async def post_scenario(request: web.Request) -> web.Response:
    """Set a key's default sequence: ``{"key": "mock-key-valid", "sequence": "429,200"}``.

    Without ``key`` the sequence applies to every key; an empty sequence clears it.
    """
    try:
        await read_body(request)
    except asyncio.TimeoutError:
        waited = request.app[STATE].config.idle_timeout
        return await closing(request, web.json_response(
            {"error": f"the body did not all come within {waited:g} s"}, status=408))
    try:
        try:
            body = await request.json()
        except RecursionError:  # JSON nested thousands deep: refused, as the chat paths do
            raise ValueError("the body nests too deeply to read") from None
        if not isinstance(body, dict) or not isinstance(body.get("sequence", ""), str):
            raise ValueError('send {"key": "…", "sequence": "429,200"}')
        key = body.get("key")
        if key is not None and not isinstance(key, str):
            raise ValueError("key must be a string")
        steps = request.app[STATE].scenarios.set_default(key, body.get("sequence", ""))
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"key": key or "*", "steps": [str(s) for s in steps]})
