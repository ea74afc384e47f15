"""Errors of the HTTP service and how every error becomes a JSON response: a status and a message, no traceback."""

from __future__ import annotations

import logging
import math
import reprlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ragkit import (
    FileTooLargeError,
    IndexFormatError,
    IndexNotFoundError,
    KnowledgeBaseExistsError,
    ModelError,
    RagkitError,
    SourceNotFoundError,
    UnsupportedFileTypeError,
)

log = logging.getLogger("ragkit.server")


class NotFoundError(RagkitError):
    """A source, job or model named in the request does not exist."""


class QueueFullError(RagkitError):
    """Every model worker is busy and the queue is full."""


class AnswerTimeoutError(RagkitError):
    """An answer took longer than the request timeout."""


class UnauthorizedError(RagkitError):
    """No API key, or an unknown one."""


class ForbiddenError(RagkitError):
    """The API key does not grant this access to this knowledge base."""


class KeyFileError(RagkitError):
    """The API key file cannot be read: no key can be checked (the operator's to fix; callers see no detail)."""


STATUS: list[tuple[type[RagkitError], int]] = [
    (IndexNotFoundError, 404), (NotFoundError, 404), (SourceNotFoundError, 404), (KnowledgeBaseExistsError, 409),
    (FileTooLargeError, 413), (UnsupportedFileTypeError, 415), (UnauthorizedError, 401), (ForbiddenError, 403), (QueueFullError, 503),
    (KeyFileError, 503),
    (AnswerTimeoutError, 504), (IndexFormatError, 500), (ModelError, 500), (RagkitError, 400),
]
"""Status of each error class, most specific first; other RagkitErrors are the caller's to fix (400)."""


def status_of(exc: BaseException) -> int:
    """The HTTP status an error maps to (500 for anything that is not a RagkitError)."""
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 500)


def error_body(status: int, message: str, **extra: object) -> dict[str, object]:
    """The error document, in OpenAI's shape so OpenAI clients show the message: {"error": {"message", ...}}."""
    return {"error": {"message": message, "type": _TYPES.get(status, "error"), "code": status, **extra}}


def error_response(exc: BaseException, retry_after_s: int) -> JSONResponse:
    """The response for an error raised while handling a request."""
    status = status_of(exc)
    if status == 500 and not isinstance(exc, RagkitError):
        log.exception("internal error", exc_info=exc)
        message = "internal server error (see the server log)"
    elif isinstance(exc, KeyFileError):
        log.error("%s", exc)
        message = "API keys cannot be checked: the server's key file is unreadable (see the server log)"
    else:
        message = str(exc)
    headers = {"Retry-After": str(retry_after_s)} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(error_body(status, message), status, headers=headers)


def install_error_handlers(app: FastAPI, retry_after_s: int) -> None:
    """Every error as a JSON error document; validation errors name the field ('body.k: ...')."""

    async def ragkit_error(request: Request, exc: Exception) -> JSONResponse:
        return error_response(exc, retry_after_s)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [_shown(e) for e in exc.errors()[:MAX_ERRORS]]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"])
        return JSONResponse(error_body(422, f"{where}: {first['msg']}", param=where, detail=errors), 422)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return JSONResponse(error_body(exc.status_code, str(exc.detail)), exc.status_code, headers=exc.headers)

    app.add_exception_handler(RagkitError, ragkit_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, ragkit_error)


MAX_ERRORS = 20
"""Validation errors listed in a 422 (a 10,000-key filter would otherwise list 10,000)."""
_PREVIEW = reprlib.Repr()
_PREVIEW.maxstring = _PREVIEW.maxother = 120
_PREVIEW.maxlist = _PREVIEW.maxdict = _PREVIEW.maxset = _PREVIEW.maxtuple = 4
_PREVIEW.maxlevel = 2


def _shown(error: Any) -> dict[str, Any]:
    """A validation error as JSON a client can read: its input and location shortened (a 10 MB question is not sent
    back), NaN and lone surrogates written out (they are not valid in a JSON document)."""
    shown = {key: value for key, value in error.items() if key not in ("input", "ctx", "url")}
    if isinstance(error.get("ctx"), dict):
        shown["ctx"] = {key: _text(str(value)[:200]) for key, value in error["ctx"].items()}
    shown["loc"] = [part if isinstance(part, int) else _text(_PREVIEW.repr(part) if len(str(part)) > 120 else part)
                    for part in error.get("loc", ())]
    shown["msg"] = _text(str(error.get("msg", ""))[:500])
    if "input" in error:
        value = error["input"]
        plain = value is None or isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value))
        shown["input"] = value if plain else _text(value if isinstance(value, str) and len(value) <= 120
                                                   else _PREVIEW.repr(value))
    return jsonable_encoder(shown)


def _text(value: Any) -> str:
    """Text with lone surrogates escaped, so it can be encoded as UTF-8."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
          409: "conflict_error", 413: "request_too_large", 415: "unsupported_media_type", 422: "invalid_request_error",
          503: "overloaded_error", 504: "timeout_error", 500: "server_error"}
