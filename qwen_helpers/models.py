"""Which Qwen model names exist, which were retired, and the default: the one place for them.

Sources (see ``shared/reference/dashscope-wire.md`` §8.4):
- retired on 2026-07-13 in Beijing and Singapore: Alibaba Cloud's decommissioning notice
  ("model_studionotice_on_the_decommissioning_of_certain_historical_mainline_models_731");
- current: the 2026 rate-limit and OpenAI-compatibility pages (qwen-plus, qwen-flash, qwen3-max,
  qwen3.5-*) and, for the 3.6–3.8 generation, the names the dashscope 2.0.2 SDK's own examples
  use (the official model page for those was not available to us).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "qwen-plus"
"""The model the course uses unless told otherwise: current, cheap and in every region."""

CHEAPEST_MODEL = "qwen-flash"
"""The low-cost successor of the retired ``qwen-turbo``."""

RETIREMENT_DATE = "2026-07-13"
RETIRED_MODELS: tuple[str, ...] = (
    "qwen-max",
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
    max_input_tokens: int = 98_304
    """Longest prompt accepted. 98,304 is the figure in the official error example
    "Range of input length should be [1, 98304]"; newer models accept more (UNCONFIRMED)."""


CURRENT_MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("qwen-plus", 32_768),
        Model("qwen-flash", 32_768),
        Model("qwen3-max", 65_536),
        Model("qwen3.5-plus", 65_536),
        Model("qwen3.5-flash", 64_000),
        Model("qwen3.6-plus", 65_536),
        Model("qwen3.6-flash", 65_536),
        Model("qwen3.7-plus", 65_536),
        Model("qwen3.7-max", 65_536),
        Model("qwen3.8-flash", 128_000),
        Model("qwen3.8-max", 65_536),
    )
}


def is_retired(name: str) -> bool:
    """True for a model name that the service no longer serves."""
    return name in RETIRED_MODELS
