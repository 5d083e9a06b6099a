"""The service's errors, as the real DashScope sends them in each dialect.

Every entry comes from the catalogue in docs/sources.md §6.2 and the example payloads E5,
E9. The native dialect answers with a flat body; the OpenAI-compatible one wraps the error::

    native      {"code": "Throttling.RateQuota", "message": "…", "request_id": "…"}
    compatible  {"error": {"message": "…", "type": "limit_requests", "param": null,
                           "code": "limit_requests"}, "request_id": "…"}

Where the reference lists no compatible code for a native one (``AllocationQuota.FreeTierOnly``,
``AccessDenied.Unpurchased``, ``RequestTimeOut``), the compatible body repeats the native code as
``code`` and ``type``, the pattern captured for ``Arrearage`` — UNCONFIRMED for those codes.
Statuses outside the catalogue (408, 409, 413, 502, 504, …) come from the gateway in front of
the service; their real bodies are UNCONFIRMED, so the mock answers with the HTTP reason phrase
as ``text/plain``, the way a gateway would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from http import HTTPStatus

HELP_CN = "https://help.aliyun.com/zh/model-studio/error-code"
HELP_INTL = "https://www.alibabacloud.com/help/en/model-studio/error-code"


@dataclass(frozen=True)
class ServiceError:
    """One error the service can answer, in both dialects."""

    status: int
    code: str
    """The native code, e.g. ``Throttling.RateQuota``."""
    message: str
    compat_code: str | None
    compat_type: str
    compat_message: str | None = None
    """The compatible dialect's wording where it differs from the native one."""
    help_anchor: str | None = None
    """Compatible messages link to the error-code page with this anchor."""
    param: str | None = None

    def with_message(self, message: str, param: str | None = None) -> ServiceError:
        """The same error with another message (same in both dialects)."""
        return replace(self, message=message, compat_message=None, param=param)


def _e(status, code, message, compat_code="", compat_type=None, **kw) -> ServiceError:
    compat_code = code if compat_code == "" else compat_code
    return ServiceError(status, code, message, compat_code, compat_type or compat_code, **kw)


CATALOG: dict[str, ServiceError] = {
    e.code: e
    for e in (
        _e(400, "InvalidParameter", "Range of input length should be [1, 98304]",
           "invalid_parameter_error", "invalid_request_error"),
        _e(400, "DataInspectionFailed", "Input data may contain inappropriate content.",
           "data_inspection_failed"),
        _e(400, "Arrearage", "Access denied, please make sure your account is in good standing.",
           help_anchor="overdue-payment"),
        _e(400, "BadRequest.EmptyInput", "Required input parameter missing from request.",
           "invalid_parameter_error", "invalid_request_error"),
        _e(400, "BadRequest.EmptyParameters",
           'Required parameter "parameters" missing from request.',
           "invalid_parameter_error", "invalid_request_error"),
        _e(400, "BadRequest.EmptyModel", 'Required parameter "model" missing from request.',
           "invalid_request_error", "invalid_request_error",
           compat_message="you must provide a model parameter"),
        _e(401, "InvalidApiKey", "Invalid API-key provided.", "invalid_api_key",
           "invalid_request_error", compat_message="Incorrect API key provided.",
           help_anchor="apikey-error"),
        _e(403, "AccessDenied", "Access denied.", "access_denied"),
        _e(403, "AccessDenied.Unpurchased",
           "Access to model denied. Please make sure you are eligible for using the model."),
        _e(403, "AllocationQuota.FreeTierOnly",
           "The free tier of the model has been exhausted. If you want to continue access the "
           'model on a paid basis, please disable the "use free tier only" mode.'),
        _e(404, "ModelNotFound",
           "The model {model} does not exist or you do not have access to it.",
           "model_not_found", "invalid_request_error",
           compat_message="The model `{model}` does not exist or you do not have access to it."),
        _e(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.",
           "limit_requests", help_anchor="rate-limit"),
        _e(429, "Throttling.BurstRate", "Request rate increased too quickly.", "limit_burst_rate"),
        _e(429, "Throttling.AllocationQuota",
           "Allocated quota exceeded, please increase your quota limit.", "insufficient_quota",
           compat_message="You exceeded your current quota, please check your plan and billing "
           "details."),
        _e(500, "InternalError", "An internal error has occured, please try again later or "
           "contact service support.", "internal_error"),
        _e(500, "RequestTimeOut", "Request timed out, please try again later."),
        _e(503, "ModelUnavailable", "Model is unavailable, please try again later."),
    )
}

BODY_INVALID = ServiceError(
    400, "InvalidParameter", "Required body invalid, please check the request body format.",
    None, "invalid_request_error")
"""A body that is not a JSON object. The compatible wording and its null code were captured in
2025-2026 [3P olimorris/codecompanion.nvim#3109]; the native code and wording are UNCONFIRMED."""

DEFAULT_FOR_STATUS: dict[int, str] = {
    400: "InvalidParameter",
    401: "InvalidApiKey",
    403: "AccessDenied",
    404: "ModelNotFound",
    429: "Throttling.RateQuota",
    500: "InternalError",
    503: "ModelUnavailable",
}

NO_API_KEY = "No API-key provided."
"""Missing ``Authorization``: the gateway answers with the flat body on both dialects."""


def invalid_parameter(message: str, param: str | None = None) -> ServiceError:
    """A 400 ``InvalidParameter`` with the given message."""
    return CATALOG["InvalidParameter"].with_message(message, param)


def native_body(error: ServiceError, request_id: str, model: str = "") -> bytes:
    """The flat native error body."""
    body = {"code": error.code, "message": error.message.format(model=model),
            "request_id": request_id}
    return json.dumps(body, ensure_ascii=False).encode()


def compat_body(error: ServiceError, request_id: str, model: str = "", region: str = "") -> bytes:
    """The OpenAI-compatible error body, with the help link of the region's site."""
    message = (error.compat_message or error.message).format(model=model)
    if error.help_anchor:
        site = HELP_CN if region in ("", "cn-beijing") else HELP_INTL
        message = f"{message} For details, see: {site}#{error.help_anchor}"
    body = {
        "error": {"message": message, "type": error.compat_type, "param": error.param,
                  "code": error.compat_code},
        "request_id": request_id,
    }
    return json.dumps(body, ensure_ascii=False).encode()


def missing_key_body(request_id: str) -> bytes:
    """401 for a request with no key, flat on both dialects (the gateway answers it)."""
    body = {"code": "InvalidApiKey", "message": NO_API_KEY, "request_id": request_id}
    return json.dumps(body).encode()


def gateway_text(status: int) -> bytes:
    """The plain-text body used for statuses the catalogue has no JSON error for."""
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return f"HTTP {status}".encode()
