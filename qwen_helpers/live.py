"""What ``connect()`` checks in live mode: one cheap request, one line that says how to go on.

Before a notebook's first real call, :func:`check_service` asks the service for its model list
(``GET …/compatible-mode/v1/models``: no tokens, no cost) with a short time-out. Its answer
tells apart the three ways live mode goes wrong on day one — no route to the service (offline,
a firewall, a proxy, the wrong region's host), a key the service refuses (401), and a model
name the service does not know — and :func:`problem_line` turns each into one line that names
the way out (``QWEN_MODE=mock``, ``DASHSCOPE_REGION``, the ``.env`` file). The key never appears
in that line. The model list's body shape is UNCONFIRMED (docs/sources.md): an answer that is
not an OpenAI-style list skips the model check rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .config import REGION_HOSTS, Settings
from .messages import say

TIMEOUT = 5.0
"""Seconds to wait for the check: longer than a healthy answer, short enough to wait for."""


@dataclass(frozen=True)
class ServiceCheck:
    """What the check found: ``ok``, or what failed (``unreachable``, ``refused``, ``model``)."""

    outcome: str
    detail: str = ""
    models: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def check_service(settings: Settings, timeout: float = TIMEOUT,
                  transport: httpx.BaseTransport | None = None) -> ServiceCheck:
    """Ask the service for its model list with the settings' key; never raises."""
    url = f"{settings.compatible_base_url}/models"
    try:
        with httpx.Client(timeout=timeout, transport=transport, trust_env=True) as client:
            answer = client.get(url, headers={"Authorization": f"Bearer {settings.api_key}"})
    except httpx.TimeoutException:
        return ServiceCheck("unreachable", say("live.no_answer_within", timeout=f"{timeout:g}"))
    except (httpx.HTTPError, OSError) as exc:
        return ServiceCheck("unreachable", type(exc).__name__)
    if answer.status_code in (401, 403):
        return ServiceCheck("refused", f"HTTP {answer.status_code} {_code(answer)}".strip())
    if answer.status_code != 200:
        return ServiceCheck("unreachable", f"HTTP {answer.status_code} {_code(answer)}".strip())
    models = _model_ids(answer)
    if models and settings.model not in models:
        return ServiceCheck("model", settings.model, models)
    return ServiceCheck("ok", models=models)


def problem_line(check: ServiceCheck, settings: Settings) -> str | None:
    """One line: what failed and how to go on; None when the check passed."""
    if check.ok:
        return None
    host = settings.compatible_base_url.split("/compatible-mode")[0]
    if settings.dotenv_path is None:
        mock = say("live.go_offline_at_root")
    elif settings.dotenv_found:
        mock = say("live.go_offline_in", path=settings.dotenv_path)
    else:
        mock = say("live.go_offline_new", path=settings.dotenv_path)
    if check.outcome == "unreachable":
        others = ", ".join(r for r in REGION_HOSTS if r != settings.region)
        return say("live.unreachable", host=host, detail=check.detail, region=settings.region,
                   others=others, mock=mock)
    if check.outcome == "refused":
        return say("live.refused", host=host, detail=check.detail, region=settings.region,
                   mock=mock)
    near = [m for m in check.models if m.startswith(settings.model.split("-")[0])][:5]
    return say("live.model_unlisted", model=repr(check.detail),
               listed=", ".join(near or check.models[:5]), count=len(check.models))


def _code(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    code = (error or {}).get("code") if isinstance(error, dict) else None
    code = code or (body.get("code") if isinstance(body, dict) else None)
    return str(code) if code else ""


def _model_ids(answer: httpx.Response) -> tuple[str, ...]:
    try:
        data = answer.json().get("data")
        return tuple(sorted(str(item["id"]) for item in data))
    except (ValueError, AttributeError, KeyError, TypeError):
        return ()
