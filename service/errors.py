"""One JSON error shape for every failure, and the handlers that produce it.

Every error the service returns looks like::

    {"error": {"status": 413, "code": "body_too_large",
               "message": "the request body is over 16777216 bytes ...",
               "request_id": "5f0c...", "details": []}}

``code`` is stable for programs to branch on; ``message`` tells a person what to do.
Error bodies never echo the text that was sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.schemas import MAX_DETAILS, ErrorResponse
from service.strict_json import REPEATED_KEY

EXAMPLE_BODY = '{"text": "...", "kind": "posting"}'
UPLOAD_HINT = "send the file as multipart/form-data in a field named 'file' (curl -F file=@resume.pdf)"


class ApiError(Exception):
    """An error a client caused or must know about; rendered in the one error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or []
        self.headers = headers


# What each status means on our routes, for the OpenAPI document.
_MEANING = {
    400: "the body is not valid JSON, not UTF-8, or a broken multipart upload",
    401: "a missing or wrong bearer token",
    403: "admin endpoints are disabled (ROLELENS_ADMIN_TOKEN is unset)",
    408: "the headers or body did not arrive in time (ROLELENS_HEADER_TIMEOUT_SECONDS, _BODY_TIMEOUT_SECONDS)",
    409: "the newest model was refused; the old one keeps serving",
    413: "the body, the file, or its pages or unpacked size are over a limit",
    415: "the body is not JSON, or the file is not PDF, DOCX or UTF-8 text",
    422: "a field is missing or wrong, a text is blank or too long, a batch too large, or a file unreadable",
    431: "the request's headers are over ROLELENS_MAX_HEADER_BYTES",
    500: "a bug: report the request id",
    503: "no model is loaded yet, or the server is at a limit (connections, buffered bodies, file readers): retry",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: each error status with the one error shape as its body.

    >>> sorted(error_responses(415, 422))
    [415, 422]
    """
    return {status: {"model": ErrorResponse, "description": _MEANING[status]} for status in statuses}


def error_body(
    status: int, code: str, message: str, request_id: str | None, details: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The JSON error object shared by handlers and middleware."""
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "request_id": request_id,
            "details": details or [],
        }
    }


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _render(request: Request, err: ApiError) -> JSONResponse:
    body = error_body(err.status, err.code, err.message, _request_id(request), err.details)
    return JSONResponse(body, status_code=err.status, headers=err.headers)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "items", 3, "text")`` -> ``items[3].text``.

    >>> field_path(("body", "items", 3, "text"))
    'items[3].text'
    >>> field_path(("body",))
    'body'
    """
    parts = list(loc[1:] if loc and loc[0] == "body" else loc)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def from_validation(exc: RequestValidationError) -> ApiError:
    """Map FastAPI's validation errors to a malformed-JSON 400 or an invalid-request 422."""
    errors = exc.errors()
    for e in errors:
        if e.get("type") == "json_invalid":
            loc = e.get("loc", ())
            pos = loc[1] if len(loc) > 1 else "?"
            reason = str((e.get("ctx") or {}).get("error", "JSON decode error"))
            # A repeated key is JSON whose meaning is open (service.strict_json), not broken syntax.
            what = (
                f"is ambiguous JSON ({reason})"
                if reason.startswith(REPEATED_KEY)
                else f"is not valid JSON ({reason}, character {pos})"
            )
            return ApiError(
                400,
                "malformed_json",
                f"the body {what}: send a JSON object such as {EXAMPLE_BODY} with Content-Type: application/json",
            )
    details: list[dict[str, str]] = []
    for e in errors:
        message = str(e.get("msg", "invalid value")).removeprefix("Value error, ")
        loc = list(e.get("loc", ()))
        if e.get("type") == "extra_forbidden":
            # The key is what the client sent, of any size: name the object that holds it instead.
            loc, message = loc[:-1], "holds a field that is not a field of this request: see /docs for the fields"
        if len(loc) >= 2 and loc[-2] == "id" and loc[-1] in ("str", "constrained-int", "int"):
            # The id's two accepted types fail one by one; say once what an id may be.
            loc, message = (
                loc[:-1],
                "must be a string, or a whole number from -2^63 to 2^63-1 "
                "(not true, not 1.0; send bigger ids as strings)",
            )
        where = field_path(loc)
        if details and details[-1]["field"] == where and details[-1]["message"] == message:
            continue
        if e.get("type") in ("bool_type", "bool_parsing") or (where == "explain" and e.get("type") == "literal_error"):
            message = "send true or false (a JSON boolean, without quotes; in a form, the word true or false)"
        elif where == "items" and e.get("type") == "too_short":
            message = 'send at least one item: a list of {"text": "..."} objects'
        elif where == "body" and e.get("type") in ("missing", "model_attributes_type", "dict_type"):
            message = f"expected a JSON object such as {EXAMPLE_BODY}"
        elif where == "file" and e.get("type") == "missing":
            message = f"no file was uploaded: {UPLOAD_HINT}"
        details.append({"field": where, "message": message})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:3])
    if len(details) > MAX_DETAILS:
        summary += f" (and {len(details) - 3} more; details lists the first {MAX_DETAILS})"
    elif len(details) > 3:
        summary += f" (and {len(details) - 3} more in details)"
    return ApiError(422, "invalid_request", summary, details[:MAX_DETAILS])


def from_http(exc: StarletteHTTPException, content_type: str = "") -> ApiError:
    """Give Starlette's and FastAPI's own HTTP errors our shape and a useful message."""
    if exc.status_code == 400 and content_type.startswith("multipart/"):
        return ApiError(400, "malformed_multipart", f"the upload could not be parsed ({exc.detail}): {UPLOAD_HINT}")
    if isinstance(exc.__cause__, RecursionError):  # FastAPI's parse of a JSON body nested too deep
        return ApiError(
            400,
            "malformed_json",
            f"the body is JSON nested too deeply to read: send a JSON object such as {EXAMPLE_BODY}, "
            "with Content-Type: application/json",
        )
    if isinstance(exc.__cause__, UnicodeDecodeError):
        at = exc.__cause__.start
        return ApiError(
            400, "invalid_utf8", f"the body is not valid UTF-8 (bad byte at offset {at}): encode the text as UTF-8"
        )
    status = exc.status_code
    if status == 404:
        return ApiError(404, "not_found", "no such endpoint: see /docs for the API")
    if status == 405:
        return ApiError(
            405, "method_not_allowed", "this endpoint does not take that method: see /docs", headers=exc.headers
        )
    code = {400: "bad_request", 401: "unauthorized", 413: "body_too_large"}.get(status, f"http_{status}")
    return ApiError(status, code, str(exc.detail), headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Route the framework's exceptions and ours to the one error shape.

    Unexpected exceptions are caught by :class:`service.middleware.RequestMiddleware`,
    which still knows the request id and can count the 500.
    """

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _render(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _render(request, from_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _render(request, from_http(exc, request.headers.get("content-type", "").lower()))
