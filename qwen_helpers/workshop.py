"""An instructor's fault panel: make a whole room's calls fail on cue, through one shared mock.

In a workshop every participant's kernel points at one mock the instructor started with
``python -m qwen_helpers.mock --host 0.0.0.0 --port 8765`` (participants set ``QWEN_MOCK_URL``,
see :mod:`qwen_helpers.config`). The mock plays a *default fault sequence* to every call that
sends no ``X-Mock-Scenario`` header of its own (``POST /_mock/scenario``, see
:mod:`qwen_helpers.mock.scenarios`). This module sets and reads that sequence, counts the room's
recent answers, and :func:`fault_panel` puts it behind a few buttons (ipywidgets).

A sequence starts over when it is used up, so ``429`` keeps every call failing until the
instructor presses *Clear*. The room shares one key (the demo key) and the mock keeps one place
in a sequence per key, so the room shares that place too: with ``429,429,200`` one call in three,
anyone's, gets through — enough for a retrying call to succeed after a wait or two.

    from qwen_helpers.workshop import fault_panel
    fault_panel("http://127.0.0.1:8765")
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import httpx

from .messages import say
from .mock.scenarios import parse
from .panels import Panel, control

PRESETS: dict[str, str] = {
    "normal answers": "",
    "every call: 429 rate limit (RPM)": "429",
    "every call: 429 token quota (TPM)": "429/Throttling.AllocationQuota",
    "two calls in three: 429 (retries get through)": "429,429,200",
    "every call: 500 internal error": "500",
    "every call: 503 model unavailable": "503",
    "every call: 5 s before the answer": "stall:5",
    "every answer cut off (a stream after 3 chunks)": "cut:3",
}
"""What the panel offers: a name the room understands → the sequence the mock plays."""
PRESET_LABELS: dict[str, str] = {
    "normal answers": "workshop.preset_normal",
    "every call: 429 rate limit (RPM)": "workshop.preset_429_rpm",
    "every call: 429 token quota (TPM)": "workshop.preset_429_tpm",
    "two calls in three: 429 (retries get through)": "workshop.preset_two_in_three",
    "every call: 500 internal error": "workshop.preset_500",
    "every call: 503 model unavailable": "workshop.preset_503",
    "every call: 5 s before the answer": "workshop.preset_stall",
    "every answer cut off (a stream after 3 chunks)": "workshop.preset_cut",
}
"""Each preset's name → the catalog key of the label the panel shows (its English is the name)."""


def default_mock_url() -> str:
    """``QWEN_MOCK_URL`` when set, else the mock inside this kernel (started if needed)."""
    url = os.environ.get("QWEN_MOCK_URL", "").strip().rstrip("/")
    if url:
        return url
    from .connect import mock_server

    return mock_server().url


def describe(sequence: str) -> str:
    """A sequence in a few words, as it repeats: ``429, 429, 200 (repeating)``, or ``none``."""
    steps = [str(step) for step in parse(sequence)]
    if not steps:
        return say("workshop.none")
    shown = ", ".join(steps[:6]) + (" …" if len(steps) > 6 else "")
    return say("workshop.repeating", steps=shown)


def set_room_faults(sequence: str, *, mock_url: str | None = None,
                    key: str | None = None) -> list[str]:
    """Make ``sequence`` the default for ``key`` (every key when None); "" clears it.

    The sequence is checked here first, so a typo never reaches the room. Returns the steps the
    mock accepted.
    """
    parse(sequence)  # raises ValueError naming the bad item and what is allowed
    body: dict[str, Any] = {"sequence": sequence}
    if key:
        body["key"] = key
    answer = _request("POST", "/_mock/scenario", mock_url, json=body)
    return list(answer["steps"])


def room_faults(mock_url: str | None = None) -> dict[str, str]:
    """The default sequences now set: key (``*`` for every key) → sequence."""
    return dict(_request("GET", "/_mock/scenario", mock_url)["defaults"])


def room_traffic(mock_url: str | None = None, *, last: int = 200) -> Counter:
    """How the mock answered its last ``last`` service requests: status → count."""
    entries = _request("GET", "/_mock/requests", mock_url)["requests"][-last:]
    return Counter(entry.get("status") for entry in entries)


def status_text(mock_url: str | None = None, *, last: int = 200) -> str:
    """One line for the panel: the faults in force and the room's recent answers."""
    faults = room_faults(mock_url)
    shown = say("workshop.faults_separator").join(
        say("workshop.faults_all", faults=describe(v)) if k == "*"
        else say("workshop.faults_key", key=k, faults=describe(v))
        for k, v in sorted(faults.items())) or say("workshop.no_faults")
    traffic = room_traffic(mock_url, last=last)
    counts = ", ".join(f"{status}×{n}" for status, n in sorted(
        traffic.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ) or say("workshop.no_requests")
    return say("workshop.status", faults=shown, count=sum(traffic.values()), counts=counts)


def apply_choice(preset: str, custom: str = "", key: str = "", *,
                 mock_url: str | None = None) -> str:
    """What the panel's *Apply* does: a custom sequence wins over the preset; returns a message."""
    sequence = custom.strip() if custom.strip() else PRESETS[preset]
    try:
        steps = set_room_faults(sequence, mock_url=mock_url, key=key.strip() or None)
    except (ValueError, RuntimeError) as error:
        return f"✗ {error}"
    key = key.strip()
    if not steps:
        return say("workshop.cleared_key", key=key) if key else say("workshop.cleared_all")
    faults = describe(sequence)
    return (say("workshop.applied_key", key=key, faults=faults) if key
            else say("workshop.applied_all", faults=faults))


def fault_panel(mock_url: str | None = None) -> Panel:
    """The instructor's panel (ipywidgets): pick a fault, apply it to the room, clear it."""
    import ipywidgets as widgets

    url = mock_url or default_mock_url()
    preset = widgets.Dropdown(options=[(say(PRESET_LABELS[name]), name) for name in PRESETS],
                              description=say("workshop.fault_label"))
    custom = widgets.Text(placeholder=say("workshop.sequence_placeholder"),
                          description=say("workshop.sequence_label"))
    key = widgets.Text(placeholder=say("workshop.key_placeholder"),
                       description=say("workshop.key_label"))
    apply, clear, refresh = (widgets.Button(description=say(label), button_style=style)
                             for label, style in (("workshop.apply", "danger"),
                                                  ("workshop.clear", "success"),
                                                  ("workshop.refresh", "")))
    result, status = widgets.Label(), widgets.Label()

    def show_status() -> None:
        try:
            status.value = status_text(url)
        except RuntimeError as error:
            status.value = f"✗ {error}"

    def on_apply(_: Any) -> None:
        result.value = apply_choice(preset.value, custom.value, key.value, mock_url=url)
        show_status()

    def on_clear(_: Any) -> None:
        result.value = apply_choice("normal answers", "", key.value, mock_url=url)
        show_status()

    apply.on_click(on_apply)
    clear.on_click(on_clear)
    refresh.on_click(lambda _: show_status())
    show_status()
    title = widgets.HTML(say("workshop.title", url=url))
    panel = widgets.VBox([title, preset, custom, key, widgets.HBox([apply, clear, refresh]),
                          result, status])
    return Panel(panel, say("workshop.sentence"),
                 lambda: title.value + "<br>" + control(preset.description, preset.label)
                 + control(custom.description, custom.value or "—") + f"<br>{status.value}")


def _request(method: str, path: str, mock_url: str | None, **options: Any) -> dict[str, Any]:
    url = (mock_url or default_mock_url()).rstrip("/")
    try:
        response = httpx.request(method, url + path, timeout=5.0, **options)
    except httpx.HTTPError as error:
        raise RuntimeError(say("workshop.no_mock", url=url,
                               error=type(error).__name__)) from None
    if response.status_code != 200:
        raise RuntimeError(say("workshop.mock_refused", url=url, status=response.status_code,
                               method=method, path=path, body=response.text[:200]))
    return response.json()
