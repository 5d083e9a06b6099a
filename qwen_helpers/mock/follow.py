"""Follow another mock's default fault sequences: one instructor's panel reaches every kernel.

In a workshop each participant's notebooks talk to a mock inside their own kernel. Started with
``MockServer(follow="http://instructor:8765")`` (``connect()`` does this when
``QWEN_FAULTS_FROM`` is set), a mock polls the instructor's ``GET /_mock/scenario`` every few
seconds and plays the same default sequences (after its own: a notebook's ``set_scenario`` still
wins). When the instructor's mock cannot be reached, the followed faults are cleared: a room is
never left failing because the instructor's laptop went to sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from .server import STATE

POLL_SECONDS = 2.0


def install(app: web.Application, url: str, every: float = POLL_SECONDS) -> None:
    """Make ``app`` copy the default sequences of the mock at ``url`` while it runs."""
    async def polling(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_follow(app, url.rstrip("/"), every))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(polling)


async def _follow(app: web.Application, url: str, every: float) -> None:
    book = app[STATE].scenarios
    timeout = aiohttp.ClientTimeout(total=max(0.5, min(every, 5.0)))
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            try:
                async with session.get(f"{url}/_mock/scenario") as response:
                    defaults = (await response.json())["defaults"]
                book.follow(defaults)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError, TypeError):
                book.follow({})
            await asyncio.sleep(every)
