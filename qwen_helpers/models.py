"""Which Qwen model names the mock serves, which were retired, and the default: the one place.

Such lists change — the retirement notice below was itself revised — so they are dated, and in
live mode the course asks the service (``client.models.list()``, see
:func:`qwen_helpers.connect.connect`) instead of trusting this file. Sources (docs/sources.md):

- retired on 2026-10-10 00:00 (UTC+8) in Beijing and Singapore: qwen-turbo, qwen-vl-max,
  qwen-vl-plus, qwq-plus, qvq-max — Alibaba Cloud's notice
  https://www.alibabacloud.com/zh/notice/model_studionotice_on_the_decommissioning_of_certain_historical_mainline_models_731
  as read in December 2026 (the notice was revised: qwen-max is **not** retired);
- current: the 2026 rate-limit and OpenAI-compatibility pages (qwen-max, qwen-plus, qwen-flash,
  qwen3-max, qwen3.5-*) and, for the 3.6–3.8 generation, the names the dashscope 2.0.2 SDK's
  own examples use (the official model page for those was not available to us).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "qwen-plus"
"""The model the course uses unless told otherwise: current, cheap and in every region."""

CHEAPEST_MODEL = "qwen-flash"
"""The low-cost successor of the retired ``qwen-turbo``."""

RETIREMENT_DATE = "2026-10-10"
RETIREMENT_READ_ON = "2026-12"
"""When the notice was last read: a retirement list is a dated fact."""
RETIRED_MODELS: tuple[str, ...] = (
    "qwen-turbo",
    "qwen-vl-max",
    "qwen-vl-plus",
    "qwq-plus",
    "qvq-max",
)


@dataclass(frozen=True)
class Model:
    """A current text model and the limits the mock enforces for it."""

    name: str
    max_output_tokens: int
    """Upper bound of ``max_tokens``. Third-party model cards; UNCONFIRMED by an official page."""
    max_thinking_tokens: int = 81_920
    """Upper bound of ``thinking_budget``: 81,920 for qwen-plus, qwen-flash and the 3.5 models,
    131,072 for qwen3.6-flash, 262,144 for qwen3.7 (help.aliyun.com text-generation-model
    table, as cited by models.dev PRs #2364/#2366, June 2026); the others UNCONFIRMED."""
    max_input_tokens: int = 98_304
    """Longest prompt accepted. 98,304 is the figure in the official error example
    "Range of input length should be [1, 98304]"; newer models accept more (UNCONFIRMED)."""


CURRENT_MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("qwen-plus", 32_768),
        Model("qwen-max", 8_192),
        Model("qwen-flash", 32_768),
        Model("qwen3-max", 65_536),
        Model("qwen3.5-plus", 65_536),
        Model("qwen3.5-flash", 64_000),
        Model("qwen3.6-plus", 65_536),
        Model("qwen3.6-flash", 65_536, 131_072),
        Model("qwen3.7-plus", 65_536, 262_144),
        Model("qwen3.7-max", 65_536, 262_144),
        Model("qwen3.8-flash", 128_000),
        Model("qwen3.8-max", 65_536),
    )
}


def is_retired(name: str) -> bool:
    """True for a model name that the service no longer serves."""
    return name in RETIRED_MODELS
