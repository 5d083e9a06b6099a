"""Settings: which mode, which region, which key — and how a key may be shown.

``load_settings()`` reads the environment and a ``.env`` file found by walking up from the
working directory (so a notebook in ``notebooks/`` finds the project's ``.env``). A variable
already set in the environment wins over the same variable in ``.env``: python-dotenv's default
(``override=False``), even when the environment holds an empty value. Nothing is written to
``os.environ``.

=====================  ==========================================================  ============
variable               meaning                                                     default
=====================  ==========================================================  ============
``QWEN_MODE``          ``mock`` · ``live`` · ``auto`` (live when a key is set)     ``auto``
``DASHSCOPE_API_KEY``  the key, ``sk-…``; surrounding spaces and quotes are        (none)
                       stripped before it is checked
``DASHSCOPE_REGION``   ``cn-beijing`` · ``ap-southeast-1`` · ``us-east-1`` ·       ``cn-beijing``
                       ``cn-hongkong``: must match the key's region
``QWEN_MODEL``         the model the notebooks call                                ``qwen-plus``
``QWEN_MOCK_URL``      mock mode only: a mock already running elsewhere, such as   (none)
                       the instructor's in a workshop (``http://10.0.0.5:8765``);
                       unset, ``connect()`` starts one inside the kernel
``QWEN_FAULTS_FROM``   mock mode only: the kernel's own mock plays the fault       (none)
                       sequences set on this mock (a workshop's fault panel)
``DASHSCOPE_WORKSPACE`` live mode only: a workspace id; calls then go to the        (none)
                       workspace gateway the docs recommend,
                       ``https://{id}.{region}.maas.aliyuncs.com``
``QWEN_TIME_SCALE``    multiplies the waits the course makes on purpose (backoff   ``1``
                       demos, a chat's typing pace); the test suite runs at 0.05
``QWEN_LANG``          the language of the helpers' messages: ``en`` or ``zh``     ``en``
                       (each edition's setup cell also says ``connect(lang=…)``)
=====================  ==========================================================  ============
"""

from __future__ import annotations

import contextvars
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values

from . import messages, models

Mode = Literal["mock", "live"]
KeySource = Literal["env", ".env", "none"]
KEY_VARIABLE = "DASHSCOPE_API_KEY"
MODES = ("mock", "live", "auto")
DEFAULT_REGION = "cn-beijing"

REGION_HOSTS: dict[str, str] = {
    "cn-beijing": "https://dashscope.aliyuncs.com",
    "ap-southeast-1": "https://dashscope-intl.aliyuncs.com",
    # The docs give dashscope-us for US (Virginia); the dashscope SDK's own legacy fallback uses
    # dashscope-intl for us-east-1 (docs/sources.md §1.1). We follow the docs.
    "us-east-1": "https://dashscope-us.aliyuncs.com",
    "cn-hongkong": "https://cn-hongkong.dashscope.aliyuncs.com",
}
"""The shared gateway of each region (docs/sources.md §1.1). ``eu-central-1`` and ``ap-northeast-1``
exist only as workspace gateways (``{workspace}.{region}.maas.aliyuncs.com``), so not here."""
COMPATIBLE_PATH = "/compatible-mode/v1"
NATIVE_PATH = "/api/v1"

_KEY_SHAPE = re.compile(r"sk-[A-Za-z0-9][A-Za-z0-9_-]{15,}")
"""``sk-`` and at least 16 more key characters. Real keys are ``sk-`` + 32 hex characters (35 in
all) in every public example, but the length is UNCONFIRMED by the docs, so only a plausible
minimum is checked; it still rejects placeholders such as ``sk-xxx``."""


class ConfigError(ValueError):
    """The settings cannot be used: the message says what was found and what to do."""


def mask_key(key: str | None) -> str:
    """A key as it may be shown anywhere: ``sk-ab…89``, or ``(none)``; never more."""
    if not key:
        return "(none)"
    key = key.strip()
    if len(key) < 12:
        return "…"
    return f"{key[:5]}…{key[-2:]}"


@dataclass(frozen=True)
class Settings:
    """Everything a notebook needs to call the service or the mock; the key never shows."""

    mode: Mode
    region: str
    api_key: str = field(repr=False)
    """The key calls send: the real key in live mode, the mock's demo key in mock mode."""
    model: str = models.DEFAULT_MODEL
    compatible_base_url: str | None = None
    """``…/compatible-mode/v1``; None in mock mode until ``connect()`` has started the mock."""
    native_base_url: str | None = None
    """``…/api/v1``; None in mock mode until ``connect()`` has started the mock."""
    dotenv_path: Path | None = None
    """The ``.env`` file read, or where a new one belongs (beside ``.env.example``); None when
    no ``.env`` was looked for."""
    dotenv_found: bool = False
    key_source: KeySource = "none"
    """Where ``DASHSCOPE_API_KEY`` was found, in either mode."""
    mock_url: str | None = None
    """Mock mode: the root URL of a mock running elsewhere (``QWEN_MOCK_URL``), else None."""
    faults_from: str | None = None
    """Mock mode: the root URL of a mock whose fault sequences this kernel's mock plays
    (``QWEN_FAULTS_FROM``, a workshop instructor's), else None."""
    time_scale: float = 1.0
    """``QWEN_TIME_SCALE``: 1 waits real seconds; 0.05 runs the course's waits 20× faster."""
    lang: str = "en"
    """``QWEN_LANG``: the language of the helpers' messages, ``en`` or ``zh``."""

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._shown())
        return f"Settings({shown})"

    def __str__(self) -> str:
        return " · ".join(f"{name}={value}" for name, value in self._shown())

    def _shown(self) -> list[tuple[str, object]]:
        return [("mode", self.mode), ("region", self.region), ("model", self.model),
                ("key", mask_key(self.api_key)), ("key_source", self.key_source),
                ("compatible_base_url", self.compatible_base_url),
                ("native_base_url", self.native_base_url), ("dotenv_path", self.dotenv_path),
                ("dotenv_found", self.dotenv_found)]


def find_dotenv_upward(start: Path | str | None = None) -> Path | None:
    """The first ``.env`` file in ``start`` (default: the working directory) or a parent."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


def suggested_dotenv(start: Path | str | None = None) -> Path:
    """Where a new ``.env`` belongs: beside ``.env.example`` (the project's root, found upward
    from ``start``), else in ``start`` (default: the working directory)."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".env.example").is_file():
            return folder / ".env"
    return here / ".env"


def clean_key(raw: str | None) -> str:
    """The key with surrounding whitespace and one pair of matching quotes removed."""
    key = (raw or "").strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        key = key[1:-1].strip()
    return key


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a DashScope API key, or None when it looks like one."""
    if not key:
        return _say("config.key.missing")
    if any(c.isspace() for c in key):
        return _say("config.key.whitespace")
    if any(c in "\"'`" for c in key):
        return _say("config.key.quote")
    if not key.startswith("sk-"):
        return _say("config.key.prefix")
    if not _KEY_SHAPE.fullmatch(key):
        return _say("config.key.shape")
    return None


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = True,
                  start: Path | str | None = None) -> Settings:
    """Settings from ``env`` (default: ``os.environ``) over the ``.env`` found above ``start``."""
    environment = dict(os.environ if env is None else env)
    dotenv_path = find_dotenv_upward(start) if dotenv else None
    from_file: dict[str, str] = {}
    if dotenv_path is not None:
        from_file = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    looked_at = dotenv_path or (suggested_dotenv(start) if dotenv else None)
    values = {**from_file, **environment}  # the environment wins, as with override=False
    raw_lang = values.get("QWEN_LANG")
    lang = _lang(raw_lang)  # first: the language of the other settings' errors
    token = _file_language.set(lang if raw_lang and raw_lang.strip() else None)
    try:
        return _settings(values, environment, dotenv, looked_at, dotenv_path, lang)
    finally:
        _file_language.reset(token)


def _settings(values: dict[str, str], environment: dict[str, str], dotenv: bool,
              looked_at: Path | None, dotenv_path: Path | None, lang: str) -> Settings:
    raw_key = values.get(KEY_VARIABLE)
    key = clean_key(raw_key)
    source: KeySource = "none" if not key else ("env" if KEY_VARIABLE in environment else ".env")
    mode = _mode(values.get("QWEN_MODE"), has_key=bool(key))
    region = _region(values.get("DASHSCOPE_REGION"))
    model = _model(values.get("QWEN_MODEL"), live=mode == "live")
    common = dict(region=region, model=model, dotenv_path=looked_at,
                  dotenv_found=dotenv_path is not None, key_source=source,
                  time_scale=_time_scale(values.get("QWEN_TIME_SCALE")),
                  lang=lang)
    if mode == "mock":
        from .mock.keys import DEMO_KEY  # here, not on top: the mock imports this module

        mock_url = _mock_url(values.get("QWEN_MOCK_URL"))
        faults_from = _mock_url(values.get("QWEN_FAULTS_FROM"), "QWEN_FAULTS_FROM")
        if mock_url is None:
            return Settings(mode="mock", api_key=DEMO_KEY, faults_from=faults_from, **common)
        return Settings(mode="mock", api_key=DEMO_KEY, mock_url=mock_url,
                        compatible_base_url=mock_url + COMPATIBLE_PATH,
                        native_base_url=mock_url + NATIVE_PATH, **common)
    problem = key_problem(key)
    if problem:
        raise ConfigError(_key_message(problem, key, source, values.get("QWEN_MODE"),
                                       looked_at, dotenv_path is not None, dotenv))
    host = _live_host(region, values.get("DASHSCOPE_WORKSPACE"))
    return Settings(mode="live", api_key=key, compatible_base_url=host + COMPATIBLE_PATH,
                    native_base_url=host + NATIVE_PATH, **common)


def _key_message(problem: str, key: str, source: KeySource, raw_mode: str | None,
                 looked_at: Path | None, found: bool, dotenv: bool) -> str:
    """Why live mode cannot start, where the key was looked for, and the two ways out."""
    why = _say("config.key.why_live" if (raw_mode or "").strip().lower() == "live"
               else "config.key.why_auto")
    received = ""
    if key:
        masked = repr(mask_key(key))  # never more of a key than mask_key shows
        received = (_say("config.key.received_from_env", masked=masked) if source == "env"
                    else _say("config.key.received_from_file", masked=masked, path=looked_at))
    if not dotenv:
        where = _say("config.key.no_dotenv")
    elif found:
        where = _say("config.key.dotenv_read", path=looked_at)
    else:
        example = looked_at.with_name(".env.example")
        copy = (_say("config.key.copy_example", example=example) if example.is_file()
                else _say("config.key.see_example"))
        where = _say("config.key.no_dotenv_found", path=looked_at, copy=copy)
    return _say("config.key.unusable", why=why, variable=KEY_VARIABLE, problem=problem,
                received=received, where=where)


def _mode(raw: str | None, *, has_key: bool) -> Mode:
    mode = (raw or "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise ConfigError(_say("config.mode_unknown", raw=repr(raw), allowed=", ".join(MODES)))
    if mode == "auto":
        return "live" if has_key else "mock"
    return "live" if mode == "live" else "mock"


def _region(raw: str | None) -> str:
    region = (raw or DEFAULT_REGION).strip().lower() or DEFAULT_REGION
    if region not in REGION_HOSTS:
        raise ConfigError(_say("config.region_unknown", raw=repr(raw),
                               allowed=", ".join(REGION_HOSTS)))
    return region


def _mock_url(raw: str | None, variable: str = "QWEN_MOCK_URL") -> str | None:
    url = (raw or "").strip().rstrip("/")
    if not url:
        return None
    if not re.fullmatch(r"https?://[^/\s]+", url):
        raise ConfigError(_say("config.mock_url_bad", variable=variable, raw=repr(raw)))
    return url


def workspace_host(workspace: str, region: str) -> str:
    """The workspace gateway of a region: ``https://{workspace}.{region}.maas.aliyuncs.com``.

    The docs and the dashscope 2.0 SDK recommend it over the shared host; the same paths
    (``/compatible-mode/v1``, ``/api/v1``) follow it (docs/sources.md §1).
    """
    return f"https://{workspace}.{region}.maas.aliyuncs.com"


def _live_host(region: str, raw_workspace: str | None) -> str:
    workspace = (raw_workspace or "").strip()
    if not workspace:
        return REGION_HOSTS[region]
    if not _WORKSPACE.fullmatch(workspace):
        raise ConfigError(_say("config.workspace_bad", raw=repr(raw_workspace)))
    return workspace_host(workspace, region)


_WORKSPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
"""The workspace id the dashscope SDK accepts (``dashscope.set_region``)."""


def _lang(raw: str | None) -> str:
    if raw is None or not raw.strip():
        return messages.DEFAULT_LANGUAGE
    try:
        return messages.check_language(raw)
    except messages.LanguageError as error:
        raise ConfigError(str(error)) from None


def _time_scale(raw: str | None) -> float:
    text = (raw or "").strip() or "1"
    try:
        scale = float(text)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and 0 < scale <= 100):
        raise ConfigError(_say("config.time_scale_bad", raw=repr(raw)))
    return scale


def _model(raw: str | None, *, live: bool) -> str:
    """The model name; in mock mode not one retired by the dated notice in :mod:`.models`. In
    live mode the service decides: :func:`~qwen_helpers.connect.connect` checks its list."""
    model = (raw or "").strip() or models.DEFAULT_MODEL
    if live:
        return model
    if models.is_retired(model):
        raise ConfigError(_say("config.model_retired", model=repr(model),
                               date=models.RETIREMENT_DATE, read_on=models.RETIREMENT_READ_ON,
                               models=", ".join(list(models.CURRENT_MODELS)[:4])))
    return model


_file_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("lang", default=None)
"""While settings load: their ``QWEN_LANG`` (``.env`` or ``env``), the language of their errors
unless ``connect(lang=…)`` chose one."""


def _say(key: str, **values: object) -> str:
    """A catalog message in the kernel's language (or the ``.env``'s, while settings load)."""
    return messages.say(key, lang=messages.chosen_language() or _file_language.get(), **values)
