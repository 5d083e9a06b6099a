"""Client factories for the three SDK stacks, with one explicit owner of retries.

Each SDK retries on its own (docs/sources.md §7), and wrapping such a client in our own retry loop
multiplies the attempts: 3 helper attempts × 3 SDK attempts = 9 requests for one call. So every
factory takes ``retry_owner``:

==============  ===================================================================
retry_owner     what happens
==============  ===================================================================
``"sdk"``       the SDK retries by itself; ``max_retries`` is passed on (None: the
                SDK's default, 2 retries for ``openai`` and the ``dashscope`` 2.0
                ``Client``, the latter for non-streaming calls only)
``"helper"``    :mod:`qwen_helpers.retry` retries; the SDK's ``max_retries`` is 0.
                Asking for SDK retries as well (``max_retries`` > 0) is an error
==============  ===================================================================

The ``dashscope`` 1.x module API (``Generation.call``) never retries on a status code, so it
needs no owner: :func:`generation_kwargs` gives the per-call key and base address. A per-request
``with_options(max_retries=…)`` can still override what is set here.
"""

from __future__ import annotations

from typing import Any, Literal

import dashscope
import openai

from .config import ConfigError, Settings
from .messages import say

RetryOwner = Literal["sdk", "helper"]
RETRY_OWNERS: tuple[str, ...] = ("sdk", "helper")
Protocol = Literal["native", "openai"]
PROTOCOLS: tuple[str, ...] = ("native", "openai")


def sdk_max_retries(retry_owner: RetryOwner, max_retries: int | None) -> int | None:
    """The ``max_retries`` to give the SDK: 0 when the helper owns retries, None for its default."""
    if retry_owner not in RETRY_OWNERS:
        raise ValueError(say("clients.retry_owner_unknown", owner=repr(retry_owner)))
    if max_retries is not None and max_retries < 0:
        raise ValueError(say("clients.max_retries_negative", max_retries=max_retries))
    if retry_owner == "sdk":
        return max_retries
    if max_retries:
        raise ValueError(say("clients.retries_twice_over", max_retries=max_retries))
    return 0


def openai_client(settings: Settings, *, retry_owner: RetryOwner = "sdk",
                  max_retries: int | None = None, timeout: float | None = None,
                  **options: Any) -> openai.OpenAI:
    """An ``OpenAI`` client on the compatible-mode base URL of ``settings``."""
    return openai.OpenAI(**_openai_arguments(settings, retry_owner, max_retries, timeout),
                         **options)


def async_openai_client(settings: Settings, *, retry_owner: RetryOwner = "sdk",
                        max_retries: int | None = None, timeout: float | None = None,
                        **options: Any) -> openai.AsyncOpenAI:
    """An ``AsyncOpenAI`` client on the compatible-mode base URL of ``settings``."""
    return openai.AsyncOpenAI(**_openai_arguments(settings, retry_owner, max_retries, timeout),
                              **options)


def dashscope_client(settings: Settings, protocol: Protocol = "native", *,
                     retry_owner: RetryOwner = "sdk", max_retries: int | None = None,
                     timeout: float | None = None, **options: Any) -> dashscope.Client:
    """A ``dashscope`` 2.0 ``Client`` speaking ``protocol`` to the base URL that serves it."""
    return dashscope.Client(**_dashscope_arguments(settings, protocol, retry_owner, max_retries,
                                                   timeout), **options)


def async_dashscope_client(settings: Settings, protocol: Protocol = "native", *,
                           retry_owner: RetryOwner = "sdk", max_retries: int | None = None,
                           timeout: float | None = None,
                           **options: Any) -> dashscope.AsyncClient:
    """A ``dashscope`` 2.0 ``AsyncClient`` speaking ``protocol`` to the base URL that serves it."""
    return dashscope.AsyncClient(**_dashscope_arguments(settings, protocol, retry_owner,
                                                        max_retries, timeout), **options)


def generation_kwargs(settings: Settings) -> dict[str, str]:
    """``api_key`` and ``base_address`` for one ``Generation.call`` / ``AioGeneration.call``."""
    return {"api_key": settings.api_key, "base_address": _urls(settings)[1]}


def sdk_retries(client: object) -> int:
    """How many times ``client`` retries a failed call by itself (the module API: 0)."""
    if isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
        return int(client.max_retries)
    if isinstance(client, (dashscope.Client, dashscope.AsyncClient)):
        return int(client.config.max_retries)
    return 0


def _urls(settings: Settings) -> tuple[str, str]:
    if not settings.compatible_base_url or not settings.native_base_url:
        raise ConfigError(say("clients.no_base_url", mode=settings.mode))
    return settings.compatible_base_url, settings.native_base_url


def _openai_arguments(settings: Settings, retry_owner: RetryOwner, max_retries: int | None,
                      timeout: float | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {"api_key": settings.api_key, "base_url": _urls(settings)[0]}
    retries = sdk_max_retries(retry_owner, max_retries)
    if retries is not None:
        arguments["max_retries"] = retries
    if timeout is not None:  # None would mean "no time-out at all" to openai
        arguments["timeout"] = timeout
    return arguments


def _dashscope_arguments(settings: Settings, protocol: Protocol, retry_owner: RetryOwner,
                         max_retries: int | None, timeout: float | None) -> dict[str, Any]:
    if protocol not in PROTOCOLS:
        raise ValueError(say("clients.protocol_unknown", protocol=repr(protocol)))
    compatible, native = _urls(settings)
    # With an explicit base_url the 2.0 Client sends the chat protocol to that same URL
    # (docs/sources.md §1.3), so the URL must be the one that serves the protocol.
    return {"api_key": settings.api_key, "base_url": native if protocol == "native" else compatible,
            "protocol": protocol, "region": settings.region, "timeout": timeout,
            "max_retries": sdk_max_retries(retry_owner, max_retries)}
