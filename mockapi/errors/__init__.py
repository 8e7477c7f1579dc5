"""One error type, OpenAI's, and the catalogue of every error the server answers, one named constructor each
(nothing else in the package builds an OpenAIError); any other failure is mapped to one of them.

Every error body is `{"error": {"message", "type", "param", "code"}}` with all four keys, but those Azure
OpenAI answers itself on its paths (errors_azure.py: `{"error": {"code", "message"}}`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from mockapi.errors.validation import reported_failure

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


class RefusedInput(OpenAIError, ValueError):
    """An OpenAIError raised by a validator inside pydantic, which passes on ValueErrors only: the route's
    validation answers it as it is (errors.validation keeps it as the failure's cause)."""


# Named constructors for the real API's common errors.


def invalid_param(message: str, param: str | None, code: str | None = None) -> OpenAIError:
    return OpenAIError(400, message, param=param, code=code)


def refused_input(failure: OpenAIError) -> RefusedInput:
    """The same error, raisable by a request model's own validator (see RefusedInput)."""
    return RefusedInput(failure.status, failure.message, failure.type, failure.param, failure.code, failure.headers)


def not_found(message: str, param: str | None = None, code: str | None = None) -> OpenAIError:
    """A stored object (a response, a conversation) the caller does not have: theirs never was, or is gone."""
    return OpenAIError(404, message, param=param, code=code)


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


def too_many_parts(kind: str, limit: int) -> OpenAIError:
    """A multipart body of more files or fields than the route takes, worded as the form parser words it."""
    return OpenAIError(400, f"Too many {kind}. Maximum number of {kind} is {limit}.")


def headers_too_large(limit: int) -> OpenAIError:
    return OpenAIError(431, f"Request header fields too large. The maximum size is {limit} bytes.")


def invalid_http_request() -> OpenAIError:
    """The answer to a request the HTTP parser rejects (a bad request line, a control character in a header)."""
    return OpenAIError(400, "Invalid HTTP request received.")


def overloaded() -> OpenAIError:
    return OpenAIError(
        503,
        "That model is currently overloaded with other requests. You can retry your request, or contact us "
        "through our help center at help.openai.com if the error persists.",
        type="server_error",
    )


def insufficient_quota() -> OpenAIError:
    return OpenAIError(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        type="insufficient_quota",
        code="insufficient_quota",
    )


# Rate limits.


def duration(seconds: float) -> str:
    """A wait as the real API writes it, in its headers and its messages: 17ms, 8.64s, 6m0s."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60:
        return f"{round(seconds, 2):g}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest}s"


def rate_limit_reached(
    kind: str, limit: int, used: int, wait: float, who: str, *, help_center: bool = True
) -> OpenAIError:
    """The 429 of a full window of `kind` ("requests" or "tokens"); `who` is "default-gpt-3.5-turbo in
    organization org-...". The limiter's refusal also points to the help center and gives the wait in
    milliseconds, which the SDK prefers; the rule shortcut leaves both out, so that a rule's own
    `retry-after` header sets the client's wait."""
    if kind == "requests":
        detail = f"on requests per min. Limit: {limit} / min. Please try again in {duration(wait)}."
    else:
        detail = f"on tokens per min. Limit: {limit} / min. Current: {used} / min."
    message = f"Rate limit reached for {who} {detail}"
    headers = {"retry-after": str(max(1, math.ceil(wait)))}
    if help_center:
        message += " Contact us through our help center at help.openai.com if you continue to have issues."
        headers["retry-after-ms"] = str(max(1, round(wait * 1000)))
    return OpenAIError(429, message, type=kind, code="rate_limit_exceeded", headers=headers)


# Resources: a model of another kind, a stored object that is gone, an upload over its limit.


def not_an_embedding_model() -> OpenAIError:
    return OpenAIError(403, "You are not allowed to generate embeddings from this model", param="model")


def not_permitted(message: str, param: str | None = None, code: str | None = None) -> OpenAIError:
    return OpenAIError(403, message, param=param, code=code)


def image_not_found(name: str) -> OpenAIError:
    """A served image link that never existed or has expired."""
    return OpenAIError(404, f"The image '{name}' does not exist or its link has expired.")


def file_too_large(size: int, limit: int) -> OpenAIError:
    return OpenAIError(413, f"File is too large: {size} bytes. The maximum file size is {limit} bytes.", param="file")


def audio_too_large(limit: int, size: int) -> OpenAIError:
    return OpenAIError(413, f"Maximum content size limit ({limit}) exceeded ({size} bytes read)", type="server_error")


# The control API's own errors, and the errors that fixture rules answer.


def control_token_required() -> OpenAIError:
    return OpenAIError(
        401,
        "The control API needs `Authorization: Bearer <control token>` (the server's --control-token).",
        code="invalid_control_token",
    )


def rule_not_found(rule_id: str) -> OpenAIError:
    return OpenAIError(404, f"No runtime rule with id '{rule_id}'", param="id", code="rule_not_found")


def rule_error(
    status: int, message: str, type: str, param: str | None, code: str | None, headers: Mapping[str, str]
) -> OpenAIError:
    """The error a fixture rule answers, as the rule gives it (a named shortcut expands to one of the above)."""
    return OpenAIError(status, message, type, param, code, headers)


# Record and replay: the upstream a request is forwarded to, and a replayed request no rule answers.


def upstream_unreachable(upstream: str, reason: str) -> OpenAIError:
    """The upstream refused the connection, failed its TLS handshake or broke the exchange off."""
    return OpenAIError(
        502, f"The upstream {upstream} could not be reached: {reason}.", type="server_error", code="upstream_error"
    )


def upstream_timeout(upstream: str, seconds: float) -> OpenAIError:
    return OpenAIError(
        504,
        f"The upstream {upstream} did not answer within {seconds:g} seconds (--upstream-timeout).",
        type="server_error",
        code="upstream_timeout",
    )


def no_rule_matched(near_miss: str) -> OpenAIError:
    """Replay mode: nothing goes upstream, and no rule answers this request; `near_miss` says which rule came
    closest and what differed."""
    return OpenAIError(
        404,
        f"No rule matches this request, and replay mode sends nothing upstream. {near_miss}",
        code="no_matching_rule",
    )


# Validation failures: worded as the real API (jsonschema) words them, answered as a 400 naming the field.


def from_validation_errors(errors: Sequence[Mapping[str, Any]]) -> OpenAIError:
    """One failure, named as the real API names it; `param` is its dotted path."""
    failure = reported_failure(errors)
    if isinstance(failure.cause, OpenAIError):
        return failure.cause
    return invalid_param(failure.message, failure.param)


def from_pydantic(exc: ValidationError, at: Sequence[str] = ()) -> OpenAIError:
    """A model's failure; `at` is where the model's value sits in the body (for a part validated alone).
    Locations are given as FastAPI's are, under "body", so that a field named like a request part (`query`)
    is not taken for one."""
    return from_validation_errors([{**e, "loc": ("body", *at, *e["loc"])} for e in exc.errors(include_url=False)])


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
