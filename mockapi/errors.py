"""One error type, OpenAI's, and the handlers that render every failure in its shape.

Every error body is `{"error": {"message", "type", "param", "code"}}` with all four keys.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

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
        """The error's JSON body (rendering.error makes the answer of it)."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


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


def file_for_text_field(name: str) -> OpenAIError:
    """A multipart file part sent where a plain (text) field is expected: refused, never read."""
    return invalid_param(f"'{name}' must be a plain form field, not a file.", name)


def headers_too_large(limit: int) -> OpenAIError:
    return OpenAIError(431, f"Request header fields too large. The maximum size is {limit} bytes.")


# Pydantic validation failures, phrased as the real API (jsonschema) phrases them.

_LOCATIONS = ("body", "query", "path", "header")


def _is_union_member(part: int | str) -> bool:
    """Union members show up in a location (e.g. "str", "list[int]"); they are not fields."""
    return isinstance(part, str) and part[:1].islower() and ("[" in part or part in _TYPE_NAMES)


def _fields(loc: Sequence[int | str]) -> list[str]:
    """The location as field names and indices: without the request part FastAPI puts first (a field named
    `body` deeper down stays), the "[key]" that marks a failing dict key, or union members."""
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    return [str(part) for part in loc if part != "[key]" and not _is_union_member(part)]


def _param_name(loc: Sequence[int | str]) -> str | None:
    return ".".join(_fields(loc)) or None


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


def _unexpected_properties(extras: Sequence[Mapping[str, Any]]) -> OpenAIError:
    """Unknown keys of a nested object, all of that object's at once, as jsonschema words it."""
    parent = tuple(extras[0]["loc"][:-1])
    names = sorted(str(e["loc"][-1]) for e in extras if tuple(e["loc"][:-1]) == parent)
    verb = "was" if len(names) == 1 else "were"
    where = _param_name(parent)
    listed = ", ".join(repr(name) for name in names)
    return invalid_param(f"Additional properties are not allowed ({listed} {verb} unexpected) - '{where}'", where)


def _union_choice(first: Mapping[str, Any], errors: Sequence[Mapping[str, Any]]) -> OpenAIError | None:
    """When `first` failed a union, the most specific member's failure, as jsonschema's best_match picks
    it: the deepest, then one whose value had the member's type (a too-long list over "not a string").
    Two equally good members: the value fits none of them."""
    loc = list(first["loc"])
    at = next((i for i, part in enumerate(loc) if _is_union_member(part)), None)
    if at is None:
        return None
    prefix = loc[:at]
    members = [e for e in errors if list(e["loc"][:at]) == prefix and _is_union_member(e["loc"][at])]

    def relevance(error: Mapping[str, Any]) -> tuple[int, bool]:
        depth = len(_fields(error["loc"][at + 1 :]))
        return -depth, error["type"] in _TYPE_WORDS

    ranked = sorted(members, key=relevance)
    param = _param_name(prefix)
    whole = next((e for e in members if len(e["loc"]) == at + 1), None)
    if len(ranked) > 1 and relevance(ranked[0]) == relevance(ranked[1]) and whole is not None:
        return invalid_param(f"{whole['input']!r} is not valid under any of the given schemas - '{param}'", param)
    return _from_error(ranked[0])


def _from_error(error: Mapping[str, Any]) -> OpenAIError:
    if error["type"] == "value_error" and isinstance((error.get("ctx") or {}).get("error"), OpenAIError):
        return error["ctx"]["error"]  # type: ignore[no-any-return]
    param = _param_name(error.get("loc", ()))
    return invalid_param(_describe(error, param), param)


def from_validation_errors(errors: Sequence[Mapping[str, Any]]) -> OpenAIError:
    """One failure, named as the real API names it; `param` is its dotted path."""
    if not errors:
        return OpenAIError(400, "Invalid request")
    # An unknown top-level argument is refused before the schema is checked; then unknown nested keys.
    extras = [e for e in errors if e["type"] == "extra_forbidden"]
    top = [e for e in extras if len(_fields(e["loc"])) == 1]
    if top:
        return _from_error(top[0])
    if extras:
        return _unexpected_properties(extras)
    return _union_choice(errors[0], errors) or _from_error(errors[0])


def from_pydantic(exc: ValidationError) -> OpenAIError:
    return from_validation_errors(exc.errors(include_url=False))


# Every failure, FastAPI's and Starlette's own included, leaves in OpenAI's shape (rendered by the edge).


def from_exception(exc: Exception, method: str, path: str) -> OpenAIError:
    """The OpenAI error for anything raised while answering; unexpected ones are logged, traceback and all,
    and answered as the real API's 500 without any detail."""
    if isinstance(exc, OpenAIError):
        return exc
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return invalid_url(method, path)
        if exc.status_code == 405:
            return method_not_allowed(method, path)
        return OpenAIError(exc.status_code, str(exc.detail))
    if isinstance(exc, RequestValidationError):
        return from_validation_errors(list(exc.errors()))
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return server_error()


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
