"""Helpers for calling Qwen models through DashScope, and a local mock of the service.

The names below are re-exported lazily, so importing one module does not import them all::

    from qwen_helpers import connect, call_with_retry, collect_openai, Ledger
"""

from __future__ import annotations

import importlib
from typing import Any

# ``connect`` is both a module and its main function; bound here, the name is the function.
from .connect import connect as connect
from .connect import mock_server as mock_server

_EXPORTS = {
    "connect": "connect", "mock_server": "connect",
    "Settings": "config", "load_settings": "config", "mask_key": "config",
    "ConfigError": "config",
    "openai_client": "clients", "async_openai_client": "clients",
    "dashscope_client": "clients", "generation_kwargs": "clients",
    "QwenError": "errors", "to_qwen_error": "errors", "raise_for_response": "errors",
    "RetryPolicy": "retry", "call_with_retry": "retry", "acall_with_retry": "retry",
    "decide": "retry", "RULES": "retry", "tenacity_retrying": "retry",
    "StreamResult": "streaming", "collect_openai": "streaming", "acollect_openai": "streaming",
    "collect_dashscope": "streaming", "acollect_dashscope": "streaming",
    "capture": "wiretap",
    "Ledger": "usage", "estimate_tokens": "usage",
    "ResponseCache": "cache", "cached_call": "cache",
    "RequestLogger": "logs",
    "run_all": "concurrency", "arun_all": "concurrency", "Throttle": "concurrency",
    "MockServer": "mock",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'qwen_helpers' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__() -> list[str]:
    return __all__
