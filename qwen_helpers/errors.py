"""One error type, :class:`QwenError`, for every failure of every client stack.

Each SDK reports a failed call its own way (docs/sources.md §6.3): ``openai`` raises, the
``dashscope`` 1.x module API *returns* a response whose ``status_code`` is not 200, and the 2.0
``Client`` raises its own classes. :func:`to_qwen_error` turns any of them into a ``QwenError``
with a ``kind``. The kind comes from the DashScope error code when there is one (both dialects'
codes are normalised to the native one: ``insufficient_quota`` is ``Throttling.AllocationQuota``),
else from the HTTP status, else from the exception's class::

    openai.APIError ─────────────────────────── in-band error in a stream (no status) → stream
    ├── APIStatusError ──────────────────────── code, else status (table below)
    │   ├── BadRequestError 400 · AuthenticationError 401 · PermissionDeniedError 403
    │   ├── NotFoundError 404 · ConflictError 409 · UnprocessableEntityError 422
    │   └── RateLimitError 429 · InternalServerError ≥ 500 · APIStatusError 408, 413 …
    └── APIConnectionError ──────────────────── connection
        └── APITimeoutError ─────────────────── timeout

    dashscope 1.x  GenerationResponse, status_code ≠ 200 ── code, else status
                   … with a text/event-stream content type ── stream (in-band; the SDK says 400)
                   common.error.AuthenticationError ──────── auth (no key; nothing was sent)
                   requests.ConnectionError · Timeout ─────── connection · timeout

    dashscope 2.0  v2.errors.DashScopeError
                   ├── APIStatusError (BadRequestError, ContentFilterError, RateLimitError …)
                   │   ├── status_code 200 on a text/event-stream response ── stream
                   │   └── otherwise ───────────────────────────────────── code, else status
                   └── APIConnectionError ── connection
                       └── APITimeoutError ── timeout

==============  ==========  ====================================================================
kind            status      native code (compatible code)
==============  ==========  ====================================================================
bad_request     400, 422    ``InvalidParameter`` (``invalid_parameter_error``), ``BadRequest.*``
auth            401         ``InvalidApiKey`` (``invalid_api_key``); also the 1.x "no api key"
permission      403         ``AccessDenied`` (``access_denied``), ``AccessDenied.Unpurchased``
billing         400, 429    ``Arrearage``, ``CommodityNotPurchased``, ``*BillOverdue``
quota           403         ``AllocationQuota.FreeTierOnly``: free quota gone, "free tier only"
not_found       404         ``ModelNotFound`` (``model_not_found``), ``model_not_supported``
conflict        409         none documented by DashScope
too_large       413         none: the body is over 16 MiB
rate_limit      429         ``Throttling.RateQuota`` (``limit_requests``), ``Throttling.BurstRate``
                            (``limit_burst_rate``), ``Throttling.AllocationQuota``
                            (``insufficient_quota``: DashScope's TPM limit, docs/sources.md §8.1)
content_filter  400         ``DataInspectionFailed`` (``data_inspection_failed``)
server          500, 5xx    ``InternalError`` (``internal_error``), ``SystemError`` …
unavailable     502, 503    ``ModelUnavailable``, ``ServiceUnavailable``, ``ModelServingError``
timeout         408, 504    ``RequestTimeOut`` (a 500), ``GatewayTimeout``; client time-outs
connection      none        refused, dropped or cut before an answer
stream          none        an in-band error event after the stream began; or any failure
                            passed with ``to_qwen_error(…, in_stream=True)`` (a cut, a bad chunk)
unknown         —           not recognised as a failure of the call (a bug, a malformed body)
==============  ==========  ====================================================================

``str(error)`` says the kind, status, code, message, request id and what to do; a key never
shows (anything shaped like one is masked with :func:`~qwen_helpers.config.mask_key`), and
:func:`scrub` masks it in an SDK's own exceptions too, chained causes included.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import re
import time
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

import aiohttp
import dashscope.common.error as ds1
import httpx
import httpx2
import openai
import requests
from dashscope.v2 import errors as ds2

from .config import mask_key
from .messages import say

__all__ = ["COMPATIBLE_TO_NATIVE", "HINTS", "KINDS", "QwenError", "is_api_failure",
           "parse_retry_after", "raise_for_response", "redact", "scrub", "to_qwen_error"]

KINDS: tuple[str, ...] = ("bad_request", "auth", "permission", "billing", "quota", "not_found",
                          "conflict", "too_large", "rate_limit", "content_filter", "server",
                          "unavailable", "timeout", "connection", "stream", "unknown")
"""Every kind of failure, in the order of the table above."""


class _Hints(Mapping[str, str]):
    """What to do about each kind, in the kernel's language (catalog ``errors.hint.<kind>``)."""

    def __getitem__(self, kind: str) -> str:
        if kind not in KINDS:
            raise KeyError(kind)
        return say(f"errors.hint.{kind}")

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


HINTS: Mapping[str, str] = _Hints()
"""What to do about each kind, shown in ``str(error)``."""

COMPATIBLE_TO_NATIVE: dict[str, str] = {
    "invalid_parameter_error": "InvalidParameter", "data_inspection_failed": "DataInspectionFailed",
    "invalid_api_key": "InvalidApiKey", "access_denied": "AccessDenied",
    "model_not_found": "ModelNotFound", "limit_requests": "Throttling.RateQuota",
    "limit_burst_rate": "Throttling.BurstRate", "insufficient_quota": "Throttling.AllocationQuota",
    "internal_error": "InternalError",
}
"""The compatible dialect's codes and the native code each one pairs with (docs/sources.md §6.2)."""

_CODE_KINDS: dict[str, str] = {
    "InvalidParameter": "bad_request", "BadRequest": "bad_request",
    "InternalError.Algo.InvalidParameter": "bad_request", "invalid_request_error": "bad_request",
    "InvalidApiKey": "auth", "AccessDenied": "permission", "Model.AccessDenied": "permission",
    "Workspace.AccessDenied": "permission", "App.AccessDenied": "permission",
    "Arrearage": "billing", "CommodityNotPurchased": "billing", "PrepaidBillOverdue": "billing",
    "PostpaidBillOverdue": "billing", "AllocationQuota": "quota", "ModelNotFound": "not_found",
    "Model.NotExist": "not_found", "model_not_supported": "not_found", "Throttling": "rate_limit",
    "DataInspectionFailed": "content_filter", "InternalError": "server", "SystemError": "server",
    "ModelServiceFailed": "server", "InternalError.Timeout": "timeout", "RequestTimeOut": "timeout",
    "GatewayTimeout": "timeout", "ModelUnavailable": "unavailable",
    "ServiceUnavailable": "unavailable", "ModelServingError": "unavailable",
}
_STATUS_KINDS = {400: "bad_request", 401: "auth", 403: "permission", 404: "not_found",
                 408: "timeout", 409: "conflict", 413: "too_large", 429: "rate_limit",
                 502: "unavailable", 503: "unavailable", 504: "timeout"}
_TIMEOUTS = (httpx.TimeoutException, httpx2.TimeoutException, requests.Timeout, TimeoutError,
             asyncio.TimeoutError, aiohttp.ServerTimeoutError)
_CONNECTIONS = (httpx.TransportError, httpx2.TransportError, requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError, aiohttp.ClientConnectionError,
                aiohttp.ClientPayloadError, ConnectionError)
_KEY_SHAPED = re.compile(r"sk-[A-Za-z0-9_-]{16,}|(?<=Bearer )[^\s'\"]+", re.IGNORECASE)
_STREAM_READERS = ("openai/_streaming.py", "dashscope/v2/transport/sse.py",
                   "dashscope/v2/resources/_sse.py")
"""Where the SDKs read a stream's body: a failure raised there came after the stream began."""
_STREAM_FUNCTIONS = ("_handle_stream", "_handle_aio_stream", "_handle_http_stream_response")
"""The same in the dashscope 1.x module API (``common/utils.py``, ``aiohttp_request.py``)."""


class QwenError(Exception):
    """One failed call, whichever SDK reported it; ``str()`` never shows a key."""

    def __init__(self, kind: str, message: str, *, status: int | None = None,
                 code: str | None = None, request_id: str | None = None,
                 retry_after: float | None = None, should_retry: bool | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(say("errors.kind_unknown", kind=kind, kinds=", ".join(KINDS)))
        self.kind, self.status, self.code = kind, status, code or None
        self.message = redact(message)[:500]
        self.request_id = request_id or None
        self.retry_after = retry_after
        """Seconds the server asked to wait (``retry-after-ms`` / ``retry-after``), if it did."""
        self.should_retry = should_retry
        """The server's ``x-should-retry`` header: True, False, or None when absent."""
        self.attempts: list[Any] = []
        """Filled by ``qwen_helpers.retry`` with every attempt when the last one failed."""
        super().__init__(self.message)

    @property
    def native_code(self) -> str | None:
        """The code in the native dialect, whichever dialect reported it."""
        return COMPATIBLE_TO_NATIVE.get(self.code, self.code) if self.code else None

    def __str__(self) -> str:
        detail = say("errors.detail_separator").join(
            x for x in (self.status and f"HTTP {self.status}", self.code) if x)
        message = self.message or say("errors.no_message")
        text = (say("errors.line", kind=self.kind, detail=detail, message=message) if detail
                else say("errors.line_bare", kind=self.kind, message=message))
        if text[-1] not in ".!?。！？）":  # the full stop of the message's own language
            text += "." if text[-1].isascii() else say("errors.full_stop")
        if self.request_id:
            text += say("errors.request_id", request_id=self.request_id)
        if self.attempts:
            text += say("errors.gave_up", count=len(self.attempts))
        space = " " if text[-1].isascii() else ""  # none after a full-width 。 or ）
        return say("errors.with_hint", text=text, space=space, hint=HINTS[self.kind])

    def __repr__(self) -> str:
        return (f"QwenError(kind={self.kind!r}, status={self.status!r}, code={self.code!r}, "
                f"message={self.message!r}, request_id={self.request_id!r})")


def to_qwen_error(failure: object, *, in_stream: bool = False) -> QwenError:
    """The ``QwenError`` for an exception or a failed dashscope response; TypeError for a success.

    ``in_stream=True`` says the failure came after a stream had begun delivering, so its kind
    is ``stream`` whatever it was (a cut connection, a malformed chunk, an in-band error).
    """
    if isinstance(failure, QwenError):
        error = failure
    elif isinstance(failure, BaseException):
        error = _from_exception(scrub(failure))
        error.__cause__ = failure
    else:
        error = _from_response(failure)
    if in_stream and error.kind != "stream":
        error.kind, error.status = "stream", None
    return error


def raised_while_streaming(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it chains) was raised while an SDK read a stream.

    The request had been answered and the reader may have seen part of the text, however the
    SDK names the failure (``openai`` says ``APIConnectionError``, ``dashscope`` lets
    ``requests.ChunkedEncodingError`` through): :mod:`qwen_helpers.retry` does not send it again.
    """
    for link in _chain(exc):
        for frame in traceback.extract_tb(link.__traceback__):
            path = frame.filename.replace("\\", "/")
            if path.endswith(_STREAM_READERS) or (
                    "/dashscope/" in path and frame.name in _STREAM_FUNCTIONS):
                return True
    return False


def scrub(exc: BaseException) -> BaseException:
    """``exc`` with every key-shaped text masked, in its chained causes too; returns ``exc``.

    An SDK's exception may quote the request's headers (``requests.InvalidHeader`` does, with a
    key that ends in a newline); a traceback prints them, causes included. The texts are
    replaced in place: ``args``, ``message`` and, for a note, ``__notes__``.
    """
    for link in _chain(exc):
        try:
            link.args = tuple(_masked(arg) for arg in link.args)
            if isinstance(getattr(link, "message", None), str):
                link.message = redact(link.message)  # type: ignore[attr-defined]
            notes = getattr(link, "__notes__", None)
            if notes:
                link.__notes__ = [redact(note) for note in notes]
        except (AttributeError, TypeError):  # an exception type that forbids setting them
            continue
    return exc


def raise_for_response(response: Any) -> Any:
    """Return a dashscope response whose call succeeded; raise its ``QwenError`` otherwise."""
    if _succeeded(response):
        return response
    raise to_qwen_error(response)


def is_api_failure(failure: object) -> bool:
    """True for a failure of a call (kind other than ``unknown``); False for a bug or a success."""
    try:
        return to_qwen_error(failure).kind != "unknown"
    except TypeError:
        return False


def parse_retry_after(headers: Mapping[str, str] | None, *, now: float | None = None
                      ) -> float | None:
    """Seconds from ``retry-after-ms``, else ``retry-after`` (seconds or HTTP date); never raises.

    Garbage, NaN and negative numbers give None (ignored); a huge number gives ``inf`` so that a
    cap refuses it; a date in the past gives 0.
    """
    try:
        found = {str(k).lower(): str(v).strip() for k, v in (headers or {}).items()}
        for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
            try:
                seconds = float(found[name]) / scale
            except (KeyError, ValueError):
                continue
            if not math.isnan(seconds) and seconds >= 0:
                return seconds
        if not found.get("retry-after"):
            return None
        date = email.utils.parsedate_to_datetime(found["retry-after"])
        return max(0.0, date.timestamp() - (time.time() if now is None else now))
    except Exception:  # a header is the server's text: never let it crash the caller
        return None


def _from_exception(exc: BaseException) -> QwenError:
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = body if isinstance(body, str) else _get(body, "message") or exc.message
        return _build(None, message, exc.status_code, exc.code or _get(body, "code"),
                      exc.request_id or _get(body, "request_id"), exc.response.headers)
    if isinstance(exc, (openai.APITimeoutError, ds2.APITimeoutError)):
        return QwenError("timeout", _message(exc))
    if isinstance(exc, (openai.APIConnectionError, ds2.APIConnectionError)):
        return QwenError("connection", _message(exc))
    if isinstance(exc, openai.APIError) and not isinstance(exc, openai.APIResponseValidationError):
        body = exc.body  # the "error" object of a `data: {"error": …}` event
        return _build("stream", exc.message, None, exc.code or _get(body, "type"),
                      _get(body, "request_id"), None)
    if isinstance(exc, ds2.DashScopeError) and exc.status_code is not None:
        in_band = exc.status_code == 200 and _is_event_stream(exc.headers)
        return _build("stream" if in_band else None, exc.message,
                      None if in_band else exc.status_code, exc.code, exc.request_id, exc.headers)
    if isinstance(exc, ds1.AuthenticationError):
        return QwenError("auth", _message(exc))
    if isinstance(exc, (ds1.InputRequired, ds1.ModelRequired, ds1.InvalidParameter)):
        return QwenError("bad_request", _message(exc))
    if isinstance(exc, _TIMEOUTS):
        return QwenError("timeout", _message(exc))
    if isinstance(exc, _CONNECTIONS):
        return QwenError("connection", _message(exc))
    return QwenError("unknown", _message(exc))


def _from_response(response: object) -> QwenError:
    status = _get(response, "status_code")
    if not isinstance(status, int) or isinstance(response, (str, bytes)):
        raise TypeError(say("errors.not_a_failure", type=type(response).__name__))
    if _succeeded(response):
        raise TypeError(say("errors.succeeded", type=type(response).__name__))
    headers = _get(response, "headers") or {}
    code = _get(response, "code")
    code = None if code == "Unknown" else code  # 1.x's placeholder for a body that is not JSON
    request_id = _get(response, "request_id") or _header(headers, "x-request-id")
    if status <= 0:  # 1.x reports an exception inside its own machinery as status -1
        return QwenError("unknown", _get(response, "message") or "", request_id=request_id)
    # An `event:error` frame (docs/sources.md §5.2). A rejection sent SSE-framed *before* the
    # stream began would look the same; whether the real service does that is UNCONFIRMED
    # (docs/sources.md §5.1).
    in_band = status != 200 and _is_event_stream(headers)
    return _build("stream" if in_band else None, _get(response, "message") or "",
                  None if in_band else status, code, request_id, headers)


def _build(kind: str | None, message: str, status: int | None, code: str | None,
           request_id: str | None, headers: Mapping[str, str] | None) -> QwenError:
    kind = kind or _kind_of_code(code) or _kind_of_status(status)
    flag = (_header(headers, "x-should-retry") or "").strip().lower()
    return QwenError(kind, message, status=status, code=code, request_id=request_id,
                     retry_after=parse_retry_after(headers),
                     should_retry={"true": True, "false": False}.get(flag))


def _kind_of_code(code: str | None) -> str | None:
    name = COMPATIBLE_TO_NATIVE.get(code, code) if code else None
    while name:  # "Throttling.RateQuota" → "Throttling"
        if name in _CODE_KINDS:
            return _CODE_KINDS[name]
        name = name.rpartition(".")[0]
    return None


def _kind_of_status(status: int | None) -> str:
    if status is None or status < 400:
        return "unknown"
    return _STATUS_KINDS.get(status, "bad_request" if status < 500 else "server")


def _succeeded(response: Any) -> bool:
    return (_get(response, "status_code") == 200 and not _get(response, "code")
            and not _get(response, "is_error"))


def _get(source: object, name: str) -> Any:
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    return next((v for k, v in (headers or {}).items() if str(k).lower() == name), None)


def _is_event_stream(headers: Mapping[str, str] | None) -> bool:
    return "text/event-stream" in (_header(headers, "content-type") or "")


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return text if isinstance(text, str) and text else type(exc).__name__


class _MaskKeys(logging.Filter):
    """Masks keys in an SDK's log record, its exception included, before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            scrub(record.exc_info[1])
            record.exc_text = None  # a cached traceback text would still hold the key
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


SDK_LOGGERS = ("dashscope", "openai", "openai._base_client", "httpx")
"""The loggers whose records are masked: ``dashscope`` logs a failed request's traceback
(``logger.exception("Request failed")``), which may quote the key, before the helpers see it.
A filter acts on the logger it is added to, not on its children: these are the ones that log
requests."""
for _name in SDK_LOGGERS:
    logging.getLogger(_name).addFilter(_MaskKeys())


def _masked(arg: object) -> object:
    """An exception's argument with keys masked; bytes stay bytes unless they hold a key."""
    if isinstance(arg, str) or (isinstance(arg, bytes)
                                and _KEY_SHAPED.search(arg.decode("latin-1"))):
        return redact(arg)
    return arg


def redact(text: object) -> str:
    """``text`` with every key-shaped part masked (``sk-ab…89``)."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return _KEY_SHAPED.sub(lambda match: match[0] if "…" in match[0] else mask_key(match[0]),
                           str(text))  # "…": masked already


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it chains (``__cause__``, else ``__context__``), once each."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__
