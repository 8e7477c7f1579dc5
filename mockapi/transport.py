"""The answer to a request uvicorn's HTTP parser rejects (a bad request line, a control character in a
header...), in OpenAI's error shape: uvicorn itself writes plain text, before any app code runs."""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockapi import errors


def unparseable_request() -> bytes:
    """A complete HTTP/1.1 400 in OpenAI's shape; the connection is closed after it."""
    body = orjson.dumps(errors.OpenAIError(400, "Invalid HTTP request received.").body())
    head = (
        b"HTTP/1.1 400 Bad Request\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"connection: close\r\n\r\n"
    )
    return head + body


class OpenAIShapedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol (its default), with the parser's 400 in OpenAI's shape."""

    def send_400_response(self, msg: str) -> None:
        self.transport.write(unparseable_request())
        self.transport.close()
