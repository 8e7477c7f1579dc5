"""Malformed transport input against a real server: each is a prompt 4xx in OpenAI's shape, and the
server goes on serving. Sockets time out (raw_http.SOCKET_TIMEOUT) so a hang fails rather than waits."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hardening import raw_http
from tests.support import API_KEY, ServerProcess, error_of

AUTH = f"Authorization: Bearer {API_KEY}".encode()
MB = 1024 * 1024
DEFAULT_MAX_BODY = 32 * MB
CHAT = b'{"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}'
MULTIPART = "multipart/form-data; boundary=x"


@pytest.fixture
def http(own_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=own_server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as client:
        yield client
        # Whatever the test sent, the next ordinary request is answered.
        assert client.get("/v1/models").status_code == 200


def _error(response: httpx.Response | raw_http.RawResponse, status: int) -> dict[str, object]:
    assert response.status_code == status if isinstance(response, httpx.Response) else response.status == status
    if isinstance(response, raw_http.RawResponse):
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error"}
        assert set(body["error"]) == {"message", "type", "param", "code"}
        return dict(body["error"])
    assert response.headers["content-type"] == "application/json"
    return error_of(response)


def _form(*parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body with boundary `x`; each part is (its headers, its content)."""
    body = b"".join(b"--x\r\n" + headers + b"\r\n\r\n" + content + b"\r\n" for headers, content in parts)
    return body + b"--x--\r\n"


def _field(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    return b'Content-Disposition: form-data; name="' + name + b'"', value


def _file(name: bytes, filename: bytes, content: bytes) -> tuple[bytes, bytes]:
    return b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename + b'"', content


def test_truncated_json_is_a_400(http: httpx.Client) -> None:
    error = _error(http.post("/v1/chat/completions", content=CHAT[:-7]), 400)
    assert error["message"].startswith("We could not parse the JSON body of your request.")  # type: ignore[union-attr]


def test_non_utf8_bytes_in_a_json_string_are_a_400(http: httpx.Client) -> None:
    body = CHAT.replace(b"hi", b"h\xff\xfei")
    error = _error(http.post("/v1/chat/completions", content=body), 400)
    assert "could not parse the JSON body" in str(error["message"])


def test_a_lone_surrogate_escape_is_a_400(http: httpx.Client) -> None:
    # Valid JSON syntax, but no Unicode text: it must not reach the tokenizer or the JSON encoder.
    for path, body in [
        ("/v1/chat/completions", CHAT.replace(b"hi", rb"\ud800")),
        ("/v1/embeddings", rb'{"model": "text-embedding-ada-002", "input": "\udfff"}'),
    ]:
        assert "could not parse the JSON body" in str(_error(http.post(path, content=body), 400)["message"])


def test_json_nested_100000_levels_deep_is_a_400(http: httpx.Client) -> None:
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        assert "could not parse the JSON body" in str(
            _error(http.post("/v1/chat/completions", content=body), 400)["message"]
        )


def test_json_sent_as_text_plain_is_read_as_json(http: httpx.Client) -> None:
    # The real API reads the body as JSON whatever the Content-Type says.
    response = http.post("/v1/chat/completions", content=CHAT, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200 and response.json()["object"] == "chat.completion"


def test_json_sent_to_a_multipart_route_names_the_missing_file(http: httpx.Client) -> None:
    error = _error(http.post("/v1/audio/transcriptions", json={"model": "whisper-1"}), 400)
    assert error["param"] == "file" and error["message"] == "'file' is a required property"


def test_a_form_sent_to_a_json_route_is_a_400(http: httpx.Client) -> None:
    body = _form(_field(b"model", b"gpt-4"))
    assert "could not parse" in str(
        _error(http.post("/v1/chat/completions", content=body, headers={"Content-Type": MULTIPART}), 400)["message"]
    )


@pytest.mark.parametrize("path", ["/v1/audio/transcriptions", "/v1/images/edits", "/v1/images/variations"])
def test_multipart_without_a_boundary_is_a_400(http: httpx.Client, path: str) -> None:
    body = _form(_field(b"model", b"whisper-1"))
    error = _error(http.post(path, content=body, headers={"Content-Type": "multipart/form-data"}), 400)
    assert error["message"] == "Missing boundary in multipart."


@pytest.mark.parametrize(("path", "param"), [("/v1/audio/transcriptions", "file"), ("/v1/images/variations", "image")])
def test_a_file_part_without_a_filename_is_a_text_field_and_refused(http: httpx.Client, path: str, param: str) -> None:
    body = _form(
        _field(b"model", b"whisper-1" if "audio" in path else b"dall-e-2"), _field(param.encode(), bytes(4000))
    )
    error = _error(http.post(path, content=body, headers={"Content-Type": MULTIPART}), 400)
    assert error["param"] == param


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def stored(store_root: Path) -> Iterator[httpx.Client]:
    """A client of a server keeping uploaded files on disk, under `store_root`."""
    with (
        ServerProcess(["--data-dir", str(store_root)]) as process,
        httpx.Client(base_url=process.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as client,
    ):
        yield client


# (the filename sent in the part's header, templated by a marker; the name the file is stored under). The
# multipart parser unescapes a quoted name and keeps what follows its last backslash (as browsers send it).
FILENAMES = [
    (b"../../../../tmp/{m}.mp3", "../../../../tmp/{m}.mp3"),
    (b"C:\\\\clips\\\\..\\\\{m}.mp3", "{m}.mp3"),
    (b"ev\x00il-{m}.mp3", "ev\x00il-{m}.mp3"),
    (b"/etc/passwd\x00{m}.mp3", "/etc/passwd\x00{m}.mp3"),
]


@pytest.mark.parametrize(("sent", "stored_as"), FILENAMES, ids=["dot-dot", "windows", "nul", "absolute-nul"])
def test_filenames_with_separators_or_nul_are_only_names(
    http: httpx.Client, stored: httpx.Client, store_root: Path, sent: bytes, stored_as: str
) -> None:
    marker = f"mockapi-name-{os.getpid()}-{hashlib.sha1(sent).hexdigest()[:8]}"
    filename = sent.replace(b"{m}", marker.encode())
    expected = stored_as.replace("{m}", marker)
    # Accepted by its extension, as the real API does; the name is never a path (see test_uploads_never_touch_disk).
    body = _form(_field(b"model", b"whisper-1"), _file(b"file", filename, bytes(4000)))
    response = http.post("/v1/audio/transcriptions", content=body, headers={"Content-Type": MULTIPART})
    assert response.status_code == 200 and response.json()["text"]

    content = b"bytes of " + marker.encode()
    body = _form(_field(b"purpose", b"answers"), _file(b"file", filename, content))
    created = stored.post("/v1/files", content=body, headers={"Content-Type": MULTIPART})
    assert created.status_code == 200
    file_id = created.json()["id"]
    assert created.json()["filename"] == expected and created.json()["bytes"] == len(content)
    assert stored.get(f"/v1/files/{file_id}").json()["filename"] == expected
    download = stored.get(f"/v1/files/{file_id}/content")
    assert download.status_code == 200 and download.content == content
    # On disk, only names made of the file's id: nothing named after the upload, in the store or anywhere
    # its name points.
    on_disk = [path for path in store_root.rglob("*") if path.is_file()]
    assert sorted(path.name for path in on_disk if file_id in path.name) == [f"{file_id}.content", f"{file_id}.json"]
    assert all(marker not in str(path) for path in store_root.rglob("*"))
    places = [Path("/tmp"), Path("/etc"), Path.cwd(), Path.cwd().parent, store_root.parent]
    assert [str(path) for place in places for path in place.glob(f"*{marker}*")] == []
    # Nor where the name leads from the store's directories or the server's working directory.
    bases = [Path.cwd(), store_root, *(path for path in store_root.rglob("*") if path.is_dir())]
    assert [base for base in bases if os.path.lexists(os.path.join(base, expected.replace("\x00", "")))] == []


def test_a_non_png_named_png_is_refused_by_its_bytes(http: httpx.Client) -> None:
    body = _form(_file(b"image", b"../a\x00.png", b"GIF89a"), _field(b"size", b"256x256"))
    error = _error(http.post("/v1/images/variations", content=body, headers={"Content-Type": MULTIPART}), 400)
    assert error["param"] == "image"


def test_a_100_mb_body_declared_by_content_length_is_a_413_before_it_is_read(own_server: ServerProcess) -> None:
    size = 100 * MB
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\nContent-Length: %d" % size
    response = raw_http.exchange(own_server.port, head, raw_http.zeros(size))
    error = _error(response, 413)
    assert error["message"] == f"Request body too large. The maximum size is {DEFAULT_MAX_BODY} bytes."
    assert response.body_bytes_sent < size


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/audio/transcriptions"])
def test_a_100_mb_chunked_body_is_a_413_while_it_is_read(own_server: ServerProcess, path: str) -> None:
    size = 100 * MB
    content_type = b"application/json" if "chat" in path else MULTIPART.encode()
    head = b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + AUTH
    head += b"\r\nContent-Type: " + content_type + b"\r\nTransfer-Encoding: chunked"
    if "chat" in path:
        opening = b'{"model": "gpt-4", "messages": [{"role": "user", "content": "'
    else:
        opening = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\n'
    response = raw_http.exchange(own_server.port, head, raw_http.chunked([opening, *raw_http.zeros(size)]))
    error = _error(response, 413)
    if "chat" in path:
        assert error["message"] == f"Request body too large. The maximum size is {DEFAULT_MAX_BODY} bytes."
    else:  # the audio endpoints word it as the real API does, with what had been read when it stopped
        read = int(error["message"].rpartition("(")[2].split()[0])
        assert error["message"] == f"Maximum content size limit (26214400) exceeded ({read} bytes read)"
        assert read > DEFAULT_MAX_BODY
    # Answered once the limit was crossed, long before the 100 MB were all sent.
    assert DEFAULT_MAX_BODY < response.body_bytes_sent < size


def test_a_one_megabyte_header_is_a_431(own_server: ServerProcess, http: httpx.Client) -> None:
    head = b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\nX-Padding: " + b"a" * MB
    error = _error(raw_http.exchange(own_server.port, head), 431)
    assert error["message"] == "Request header fields too large. The maximum size is 65536 bytes."
    # Refused before auth: no key is needed to be told.
    assert (
        raw_http.exchange(own_server.port, b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * MB).status
        == 431
    )


def test_headers_within_the_limit_are_served(http: httpx.Client) -> None:
    response = http.get("/v1/models", headers={"X-Padding": "a" * 32_000})
    assert response.status_code == 200 and response.json()["object"] == "list"


def test_the_header_limit_is_a_setting(start_server: object) -> None:
    process = start_server("--max-header-bytes", "2048")  # type: ignore[operator]
    headers = {"Authorization": f"Bearer {API_KEY}"}
    assert httpx.get(process.url + "/v1/models", headers={**headers, "X-Padding": "a" * 1500}).status_code == 200
    refused = httpx.get(process.url + "/v1/models", headers={**headers, "X-Padding": "a" * 2100})
    assert _error(refused, 431)["message"] == "Request header fields too large. The maximum size is 2048 bytes."


@pytest.mark.parametrize(
    "head",
    [
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Bad: a\x7fb",
        b"GET /v1/mo dels HTTP/1.1\r\nHost: x",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5",
    ],
    ids=["control character in a header", "space in the path", "TLS hello", "negative length"],
)
def test_what_the_http_parser_rejects_is_a_400_in_openai_shape(own_server: ServerProcess, head: bytes) -> None:
    response = raw_http.exchange(own_server.port, head)
    assert response.headers["openai-version"] == "2020-10-01"
    assert response.headers["x-request-id"].startswith("req_") and len(response.headers["x-request-id"]) == 36
    error = _error(response, 400)
    assert error == {
        "message": "Invalid HTTP request received.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert httpx.get(own_server.url + "/health").status_code == 200
