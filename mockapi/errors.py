"""One error type, OpenAI's, and the handlers that render every failure in its shape.

Every error body is `{"error": {"message", "type", "param", "code"}}` with all four keys.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("mockapi")

INVALID_REQUEST = "invalid_request_error"


class OpenAIError(Exception):
    """An error answered in OpenAI's JSON shape with the real API's status code."""

    def __init__(
        self,
        status: int,
        message: str,
        type: str = INVALID_REQUEST,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> Response:
        return Response(
            orjson.dumps(self.body()),
            status_code=self.status,
            headers=self.headers,
            media_type="application/json",
        )


# Named constructors for the real API's common errors.


def invalid_param(message: str, param: str | None, code: str | None = None) -> OpenAIError:
    return OpenAIError(400, message, param=param, code=code)


def invalid_json() -> OpenAIError:
    return OpenAIError(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. "
        "If you have trouble figuring out how to fix this, please contact us through our help center at "
        "help.openai.com.)",
    )


def model_not_found(model: str) -> OpenAIError:
    return OpenAIError(404, f"The model '{model}' does not exist", param="model", code="model_not_found")


def missing_api_key() -> OpenAIError:
    return OpenAIError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using "
        "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if "
        "you're accessing the API from your browser and are prompted for a username and password. You can "
        "obtain an API key from https://platform.openai.com/account/api-keys.",
    )


def mask_key(key: str) -> str:
    """The real API keeps the first eight and last four characters: sk-YqKVA*****TvSm."""
    if len(key) <= 12:
        return key[:3] + "***"
    return f"{key[:8]}{'*' * (len(key) - 12)}{key[-4:]}"


def invalid_api_key(key: str) -> OpenAIError:
    return OpenAIError(
        401,
        f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
    )


def invalid_url(method: str, path: str) -> OpenAIError:
    return OpenAIError(404, f"Invalid URL ({method} {path})")


def method_not_allowed(method: str, path: str) -> OpenAIError:
    return OpenAIError(405, f"Invalid method for URL ({method} {path})")


def server_error() -> OpenAIError:
    return OpenAIError(
        500,
        "The server had an error while processing your request. Sorry about that!",
        type="server_error",
    )


def body_too_large(limit: int) -> OpenAIError:
    return OpenAIError(413, f"Request body too large. The maximum size is {limit} bytes.")


def file_not_found(file_id: str) -> OpenAIError:
    """Also what a caller gets for another organization's file: the two are indistinguishable."""
    return OpenAIError(404, f"No such File object: {file_id}", param="id")


def headers_too_large(limit: int) -> OpenAIError:
    return OpenAIError(431, f"Request header fields too large. The maximum size is {limit} bytes.")


# Pydantic validation failures, phrased as the real API phrases them.


def _param_name(loc: Sequence[int | str]) -> str | None:
    # FastAPI's locations start with where the value came from; a field named `body` deeper down stays.
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]
    # "[key]" marks a failing dict key, whose name is the part before it.
    parts = [str(part) for part in loc if part != "[key]"]
    # Union members show up in the location (e.g. "str", "list[int]"): they are not fields.
    parts = [p for p in parts if not (p[:1].islower() and ("[" in p or p in _TYPE_NAMES))]
    return ".".join(parts) or None


_TYPE_NAMES = {"str", "int", "float", "bool", "list", "dict", "function-after", "function-before"}

_TYPE_WORDS = {
    "string_type": "string",
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "list_type": "array",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
}


def _describe(error: Mapping[str, Any], param: str | None) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    name = param or "body"
    if kind == "missing":
        return f"'{name}' is a required property"
    if kind == "extra_forbidden":
        return f"Unrecognized request argument supplied: {name}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{value!r} is less than the minimum of {ctx.get('ge', ctx.get('gt'))} - '{name}'"
    if kind in ("less_than_equal", "less_than"):
        return f"{value!r} is greater than the maximum of {ctx.get('le', ctx.get('lt'))} - '{name}'"
    if kind in _TYPE_WORDS:
        return f"{value!r} is not of type '{_TYPE_WORDS[kind]}' - '{name}'"
    if kind in ("literal_error", "enum"):
        return f"{value!r} is not one of [{ctx.get('expected', '')}] - '{name}'"
    if kind in ("too_short", "string_too_short"):
        return f"{value!r} is too short - '{name}'"
    if kind in ("too_long", "string_too_long"):
        return f"{value!r} is too long - '{name}'"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "Invalid value")))
    return f"{error.get('msg', 'Invalid value')} - '{name}'"


def from_validation_errors(errors: Sequence[Mapping[str, Any]]) -> OpenAIError:
    """The first failure names the field: `param` is its dotted path."""
    if not errors:
        return OpenAIError(400, "Invalid request")
    # An unknown field is the most specific complaint; report it first as the real API does.
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    first = (extra or list(errors))[0]
    param = _param_name(first.get("loc", ()))
    if first["type"] == "value_error" and isinstance((first.get("ctx") or {}).get("error"), OpenAIError):
        return first["ctx"]["error"]  # type: ignore[no-any-return]
    return invalid_param(_describe(first, param), param)


def from_pydantic(exc: ValidationError) -> OpenAIError:
    return from_validation_errors(exc.errors(include_url=False))


# Handlers: every failure, FastAPI's own included, leaves in OpenAI's shape.


async def _openai_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpenAIError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    if exc.status_code == 404:
        return invalid_url(request.method, path).response()
    if exc.status_code == 405:
        return method_not_allowed(request.method, path).response()
    return OpenAIError(exc.status_code, str(exc.detail)).response()


async def _request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return from_validation_errors(list(exc.errors())).response()


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return server_error().response()


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OpenAIError, _openai_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(Exception, _unexpected)


# The text endpoints: a model of the wrong kind, and a request that does not fit the context window.


def chat_model_on_completions() -> OpenAIError:
    return OpenAIError(
        404,
        "This is a chat model and not supported in the v1/completions endpoint. "
        "Did you mean to use v1/chat/completions?",
        param="model",
    )


def not_a_chat_model() -> OpenAIError:
    return OpenAIError(
        404,
        "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
        "Did you mean to use v1/completions?",
        param="model",
    )


def completion_too_long(window: int, prompt: int, completion: int) -> OpenAIError:
    return invalid_param(
        f"This model's maximum context length is {window} tokens, however you requested {prompt + completion} "
        f"tokens ({prompt} in your prompt; {completion} for the completion). Please reduce your prompt; or "
        "completion length.",
        None,
        "context_length_exceeded",
    )


def chat_too_long(window: int, prompt: int, completion: int | None) -> OpenAIError:
    if completion is None:
        message = (
            f"This model's maximum context length is {window} tokens. However, your messages resulted in "
            f"{prompt} tokens. Please reduce the length of the messages."
        )
    else:
        message = (
            f"This model's maximum context length is {window} tokens. However, you requested "
            f"{prompt + completion} tokens ({prompt} in the messages, {completion} in the completion). "
            "Please reduce the length of the messages or completion."
        )
    return invalid_param(message, "messages", "context_length_exceeded")
