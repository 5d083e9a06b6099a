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
        return ServiceCheck("unreachable", f"no answer within {timeout:g} s")
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
        env = "a .env file at the project's root"
    elif settings.dotenv_found:
        env = str(settings.dotenv_path)
    else:
        env = f"{settings.dotenv_path} (a new file, beside .env.example)"
    mock = f"To learn offline instead, put QWEN_MODE=mock in {env} and restart the kernel."
    if check.outcome == "unreachable":
        other = ", ".join(r for r in REGION_HOSTS if r != settings.region)
        return (f"✗ live mode: {host} did not answer ({check.detail}). Check the network or "
                f"proxy, and that DASHSCOPE_REGION={settings.region} is your key's region "
                f"(others: {other}). {mock}")
    if check.outcome == "refused":
        return (f"✗ live mode: {host} refused the key ({check.detail}). Check DASHSCOPE_API_KEY "
                f"(a key works only in the region it was created in; DASHSCOPE_REGION="
                f"{settings.region} now). {mock}")
    near = [m for m in check.models if m.startswith(settings.model.split("-")[0])][:5]
    return (f"✗ live mode: the service does not list the model {check.detail!r}. Set QWEN_MODEL "
            f"to one it lists, such as {', '.join(near or check.models[:5])} "
            f"({len(check.models)} in all: client.models.list()).")


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
