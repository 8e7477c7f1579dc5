"""/v1/files through the official SDKs and raw httpx against a real server.

Files are scoped per caller, so each test on the shared server uses its own API key and sees only its files.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import re
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.contract import spec
from tests.legacy import run_legacy
from tests.support import ServerProcess, error_of, sdk_client

FILE_ID = re.compile(r"file-[A-Za-z0-9]{24}")
TRAINING = (
    b'{"prompt": "Hello ->", "completion": " world\\n"}\n'
    b'{"prompt": "caf\xc3\xa9 ->", "completion": " \xe2\x98\x95\\n"}\n'
)
ALL_BYTES = bytes(range(256))


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    """An API key of this test alone: its files are invisible to every other test."""
    return "sk-files-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:24]


@pytest.fixture
def sdk(server: ServerProcess, key: str) -> openai.OpenAI:
    return sdk_client(server, key)


def raw_client(process: ServerProcess, key: str, organization: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"}
    if organization:
        headers["OpenAI-Organization"] = organization
    return httpx.Client(base_url=process.url, headers=headers, timeout=30)


@pytest.fixture
def raw(server: ServerProcess, key: str) -> Iterator[httpx.Client]:
    with raw_client(server, key) as client:
        yield client


def upload(
    client: httpx.Client, content: bytes, filename: str = "data.bin", purpose: str = "answers"
) -> httpx.Response:
    return client.post("/v1/files", data={"purpose": purpose}, files={"file": (filename, content)})


def not_found(file_id: str) -> dict[str, object]:
    return {"message": f"No such File object: {file_id}", "type": "invalid_request_error", "param": "id", "code": None}


def assert_not_found(client: httpx.Client, file_id: str) -> None:
    """Every route refuses the id with the same 404 as for an id that never existed."""
    for method, path in (
        ("GET", f"/v1/files/{file_id}"),
        ("GET", f"/v1/files/{file_id}/content"),
        ("DELETE", f"/v1/files/{file_id}"),
    ):
        response = client.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
        assert error_of(response) == not_found(file_id)
    assert file_id not in [f["id"] for f in client.get("/v1/files").json()["data"]]


# Upload, retrieve, content, list, delete.


def test_upload_through_sdk_returns_the_file_object(sdk: openai.OpenAI) -> None:
    created = sdk.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    assert FILE_ID.fullmatch(created.id)
    assert (created.object, created.bytes, created.filename, created.purpose) == (
        "file",
        len(TRAINING),
        "train.jsonl",
        "fine-tune",
    )
    assert (created.status, created.status_details) == ("uploaded", None)
    assert created.created_at > 1_600_000_000
    retrieved = sdk.files.retrieve(created.id)
    assert retrieved.model_dump() == created.model_dump()
    assert sdk.files.content(created.id).read() == TRAINING


def test_binary_content_round_trips_byte_exact(raw: httpx.Client) -> None:
    # Past python-multipart's 1 MB in-memory spool, with every byte value (CR, LF, NUL, boundary-like dashes).
    content = ALL_BYTES * 5000 + b"\r\n--boundary--\r\n" + bytes(reversed(ALL_BYTES))
    response = upload(raw, content, "blob.bin", "search")
    assert response.status_code == 200, response.text
    file_id = response.json()["id"]
    assert response.json()["bytes"] == len(content)
    for accept in ("application/binary", "application/json", "*/*"):
        got = raw.get(f"/v1/files/{file_id}/content", headers={"Accept": accept})
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.content == content


def test_sdk_content_of_a_binary_file_is_exact(sdk: openai.OpenAI) -> None:
    created = sdk.files.create(file=("all.bin", ALL_BYTES), purpose="classifications")
    assert sdk.files.content(created.id).content == ALL_BYTES


def test_list_orders_filters_and_pages_through_sdk(sdk: openai.OpenAI) -> None:
    made = [
        sdk.files.create(file=(f"{i}.jsonl", TRAINING), purpose=p) for i, p in enumerate(["fine-tune", "search"] * 3)
    ]
    newest_first = [f.id for f in reversed(made)]
    page = sdk.files.list()
    assert [f.id for f in page.data] == newest_first
    assert page.has_more is False
    # The SDK follows `after` while has_more is true.
    assert [f.id for f in sdk.files.list(limit=2)] == newest_first
    first_page = sdk.files.list(limit=2)
    assert len(first_page.data) == 2 and first_page.has_more is True
    assert [f.id for f in sdk.files.list(order="asc", limit=4)] == [f.id for f in made]
    assert [f.id for f in sdk.files.list(purpose="search")] == [f.id for f in reversed(made) if f.purpose == "search"]
    assert [f.filename for f in sdk.files.list(after=newest_first[1])] == [f.filename for f in reversed(made[:4])]


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("limit=0", "limit", "0 is less than the minimum of 1 - 'limit'"),
        ("limit=10001", "limit", "10001 is greater than the maximum of 10000 - 'limit'"),
        ("limit=ten", "limit", "'ten' is not of type 'integer' - 'limit'"),
        ("order=newest", "order", "'newest' is not one of"),
        ("after=file-nothere", "after", "No such File object: file-nothere"),
    ],
)
def test_list_rejects_bad_query_parameters(raw: httpx.Client, query: str, param: str, message: str) -> None:
    response = raw.get(f"/v1/files?{query}")
    assert response.status_code == 400
    error = error_of(response)
    assert error["param"] == param and message in str(error["message"])


def test_list_takes_an_empty_after_as_none_and_trims_an_integer_limit(raw: httpx.Client) -> None:
    made = [upload(raw, b"x", f"{i}.bin").json()["id"] for i in range(7)]
    everything = raw.get("/v1/files").json()
    assert [f["id"] for f in everything["data"]] == made[::-1]
    assert raw.get("/v1/files?after=").json() == everything
    page = raw.get("/v1/files?limit=%205").json()
    assert [f["id"] for f in page["data"]] == made[:1:-1] and page["has_more"] is True
    assert raw.get("/v1/files?limit=5%20&after=").json() == page
    below = raw.get("/v1/files?limit=%200")
    assert below.status_code == 400
    assert error_of(below)["message"] == "0 is less than the minimum of 1 - 'limit'"


def test_sdk_pages_on_past_a_cursor_deleted_while_it_pages(sdk: openai.OpenAI, raw: httpx.Client) -> None:
    made = [sdk.files.create(file=(f"{i}.bin", b"x"), purpose="search").id for i in range(7)]
    newest_first, seen = made[::-1], []
    for index, listed in enumerate(sdk.files.list(limit=2)):
        seen.append(listed.id)
        if index in (1, 3):  # the last of a page: the SDK asks for the next page `after` it
            sdk.files.delete(listed.id)
    assert seen == newest_first
    # Each way round, from the deleted file's place; a cursor that never was a file is still refused.
    asc = raw.get("/v1/files", params={"after": newest_first[3], "order": "asc"}).json()["data"]
    assert [f["id"] for f in asc] == [newest_first[2], newest_first[0]]
    desc = raw.get("/v1/files", params={"after": newest_first[1]}).json()["data"]
    assert [f["id"] for f in desc] == [newest_first[2], *newest_first[4:]]
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.files.list(after="file-000000000000000000000000")
    assert caught.value.body == {
        "message": "No such File object: file-000000000000000000000000 (the 'after' cursor)",
        "type": "invalid_request_error",
        "param": "after",
        "code": None,
    }


def test_a_cursor_of_another_callers_file_is_refused_like_an_unknown_one(server: ServerProcess, key: str) -> None:
    with raw_client(server, key) as owner, raw_client(server, key + "-other") as stranger:
        live = upload(owner, b"live").json()["id"]
        deleted = upload(owner, b"gone").json()["id"]
        owner.delete(f"/v1/files/{deleted}")
        upload(stranger, b"theirs")
        for cursor in (live, deleted):
            response = stranger.get("/v1/files", params={"after": cursor})
            assert response.status_code == 400
            assert error_of(response)["message"] == f"No such File object: {cursor} (the 'after' cursor)"


def test_delete_then_every_route_is_404(sdk: openai.OpenAI, raw: httpx.Client) -> None:
    kept = sdk.files.create(file=("kept.jsonl", TRAINING), purpose="fine-tune")
    doomed = sdk.files.create(file=("doomed.jsonl", TRAINING), purpose="fine-tune")
    deleted = sdk.files.delete(doomed.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (doomed.id, "file", True)
    assert_not_found(raw, doomed.id)
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.files.retrieve(doomed.id)
    assert caught.value.body == not_found(doomed.id)
    with pytest.raises(openai.NotFoundError):
        sdk.files.content(doomed.id)
    with pytest.raises(openai.NotFoundError):
        sdk.files.delete(doomed.id)
    assert [f.id for f in sdk.files.list()] == [kept.id]


def test_unknown_id_is_404_on_every_route(raw: httpx.Client) -> None:
    assert_not_found(raw, "file-x")


def test_bodies_match_the_spec(raw: httpx.Client) -> None:
    created = upload(raw, TRAINING, "train.jsonl", "fine-tune").json()
    spec.check("/files", "post", created)
    spec.check("/files", "get", raw.get("/v1/files").json())
    spec.check("/files/{file_id}", "get", raw.get(f"/v1/files/{created['id']}").json())
    spec.check("/files/{file_id}", "delete", raw.delete(f"/v1/files/{created['id']}").json())


# Validation.


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            TRAINING + b'{"prompt": "no completion"}\n',
            "Expected file to have JSONL format with prompt/completion keys. Missing `completion` key on line 3.",
        ),
        (
            b'{"prompt": "a", "completion": "b"}\n{"prompt": "a", "completion": "b"}\n{"prompt": "a", "completion"\n',
            "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
            'Line 3 is not a dictionary (HINT: line starts with: "{"p...").',
        ),
        (
            TRAINING[:49] + b"\n \t\n" + TRAINING[49:],
            "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
            "Line 2 is empty (only the end of the file may have blank lines).",
        ),
        (b"\n" + TRAINING, "Line 1 is empty"),
        (b'"just a string"\n', 'Line 1 is not a dictionary (HINT: line starts with: ""ju...")'),
        (TRAINING + b'{"prompt": ["a"], "completion": "b"}', "The `prompt` value on line 3 is not a string."),
        (b"\n\n", "The file has no examples."),
    ],
)
def test_fine_tune_files_must_be_prompt_completion_jsonl(raw: httpx.Client, content: bytes, message: str) -> None:
    response = upload(raw, content, "train.jsonl", "fine-tune")
    assert response.status_code == 400
    error = error_of(response)
    assert message in str(error["message"])
    assert error["type"] == "invalid_request_error"
    assert raw.get("/v1/files").json()["data"] == []


def test_fine_tune_files_may_end_with_blank_lines(raw: httpx.Client) -> None:
    content = TRAINING + b"\n\n  \r\n"
    response = upload(raw, content, "train.jsonl", "fine-tune")
    assert response.status_code == 200, response.text
    assert raw.get(f"/v1/files/{response.json()['id']}/content").content == content


def test_a_fine_tune_line_over_the_limit_is_refused(sdk: openai.OpenAI) -> None:
    """A file that is one huge (valid) line is refused, not read whole into memory."""
    huge = b'{"prompt": "' + b"p" * (5 * 1024 * 1024) + b'", "completion": " done"}\n'
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.files.create(file=("huge.jsonl", TRAINING + huge + TRAINING), purpose="fine-tune")
    assert caught.value.body == {
        "message": "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
        "Line 3 is longer than the maximum of 4194304 bytes.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert sdk.files.list().data == []
    # The same bytes as another purpose are just a file.
    assert sdk.files.create(file=("huge.jsonl", huge), purpose="search").bytes == len(huge)


def test_fine_tune_error_through_sdk_names_the_line(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.files.create(file=("t.jsonl", TRAINING * 3 + b"oops\n"), purpose="fine-tune")
    assert "Line 7 is not a dictionary" in caught.value.message


@pytest.mark.parametrize(
    ("data", "files", "param", "message"),
    [
        ({"purpose": "answer"}, {"file": ("a.txt", b"x")}, "purpose", "'answer' is not one of ['fine-tune', 'search'"),
        ({}, {"file": ("a.txt", b"x")}, "purpose", "'purpose' is a required property"),
        ({"purpose": "search"}, None, "file", "'file' is a required property"),
        ({"purpose": "search", "file": "not a file"}, None, "file", "'file' must be a file upload"),
        ({"purpose": "search", "extra": "1"}, {"file": ("a.txt", b"x")}, "extra", "Unrecognized request argument"),
        ({"purpose": "search"}, {"file": ("empty.txt", b"")}, "file", "File is empty."),
        ({}, {"purpose": ("p.txt", b"search")}, "purpose", "'purpose' must be a plain form field, not a file."),
    ],
)
def test_upload_validation_names_the_field(
    raw: httpx.Client, data: dict[str, str], files: dict[str, tuple[str, bytes]] | None, param: str, message: str
) -> None:
    if files is not None:
        response = raw.post("/v1/files", data=data, files=files)
    else:  # a form of plain fields only, still multipart as the SDKs send it
        boundary = "xyzzy"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in data.items()]
        response = raw.post(
            "/v1/files",
            content="".join([*parts, f"--{boundary}--\r\n"]).encode(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["param"] == param and message in str(error["message"])
    assert raw.get("/v1/files").json()["data"] == []


def test_malformed_multipart_is_400_not_500(raw: httpx.Client) -> None:
    response = raw.post("/v1/files", content=b"garbage", headers={"Content-Type": "multipart/form-data"})
    assert response.status_code == 400
    assert error_of(response)["message"] == "Missing boundary in multipart."


# Scoping.


def test_keys_without_organization_are_isolated(server: ServerProcess, key: str) -> None:
    with raw_client(server, key) as owner, raw_client(server, key + "-other") as stranger:
        file_id = upload(owner, b"mine").json()["id"]
        assert stranger.get("/v1/files").json()["data"] == []
        assert_not_found(stranger, file_id)
        assert owner.get(f"/v1/files/{file_id}/content").content == b"mine"
        assert [f["id"] for f in owner.get("/v1/files").json()["data"]] == [file_id]


def test_organizations_are_isolated_and_shared_by_their_keys(server: ServerProcess, key: str) -> None:
    org_a, org_b = f"org-a-{key[-8:]}", f"org-b-{key[-8:]}"
    with (
        raw_client(server, key, org_a) as member,
        raw_client(server, key + "-colleague", org_a) as colleague,
        raw_client(server, key, org_b) as other_org,
        raw_client(server, key) as no_org,
    ):
        file_id = upload(member, b"org a data").json()["id"]
        for outsider in (other_org, no_org):
            assert outsider.get("/v1/files").json()["data"] == []
            assert_not_found(outsider, file_id)
        # Another key of the same organization sees, reads and may delete it.
        assert [f["id"] for f in colleague.get("/v1/files").json()["data"]] == [file_id]
        assert colleague.get(f"/v1/files/{file_id}/content").content == b"org a data"
        assert colleague.delete(f"/v1/files/{file_id}").json()["deleted"] is True
        assert_not_found(member, file_id)


def test_an_organization_header_cannot_name_a_keys_scope(server: ServerProcess, key: str) -> None:
    with raw_client(server, key) as owner, raw_client(server, "sk-intruder", f"key:{key}") as intruder:
        file_id = upload(owner, b"private").json()["id"]
        assert intruder.get("/v1/files").json()["data"] == []
        assert_not_found(intruder, file_id)


def test_sdk_organization_option_scopes_files(server: ServerProcess, key: str) -> None:
    ours = sdk_client(server, key, organization="org-ours-" + key[-8:])
    theirs = sdk_client(server, key, organization="org-theirs-" + key[-8:])
    created = ours.files.create(file=("x.bin", b"abc"), purpose="search")
    assert [f.id for f in theirs.files.list()] == []
    for call in (theirs.files.retrieve, theirs.files.content, theirs.files.delete):
        with pytest.raises(openai.NotFoundError) as caught:
            call(created.id)
        assert caught.value.body == not_found(created.id)
    assert ours.files.content(created.id).read() == b"abc"


# Limits.


def test_limits_refuse_and_leave_the_store_unchanged(start_server: Callable[..., ServerProcess]) -> None:
    limits = ("--org-storage-bytes", "1000", "--max-file-bytes", "600", "--total-storage-bytes", "1500")
    process = start_server(*limits, "--max-body-bytes", "2000")
    with raw_client(process, "sk-a") as org_a, raw_client(process, "sk-b") as org_b:
        first = upload(org_a, b"a" * 600).json()
        too_big = upload(org_a, b"a" * 601)
        assert too_big.status_code == 413
        assert error_of(too_big)["message"] == "File is too large: 601 bytes. The maximum file size is 600 bytes."
        over_quota = upload(org_a, b"a" * 401)
        assert over_quota.status_code == 400
        assert error_of(over_quota)["message"] == (
            "Uploading this file (401 bytes) would exceed your organization's file storage limit of 1000 bytes "
            "(600 bytes already used). Delete files to make room."
        )
        assert org_a.get("/v1/files").json()["data"] == [first]
        assert upload(org_a, b"a" * 400).status_code == 200  # exactly at the quota
        # The quota is per organization; the server-wide limit bounds them all.
        assert upload(org_b, b"b" * 500).status_code == 200
        server_full = upload(org_b, b"b" * 1)
        assert server_full.status_code == 400
        assert "1500 bytes for all organizations" in str(error_of(server_full)["message"])
        assert org_a.delete(f"/v1/files/{first['id']}").status_code == 200
        assert upload(org_b, b"b" * 500).status_code == 200
        assert sorted(f["bytes"] for f in org_b.get("/v1/files").json()["data"]) == [500, 500]
        # A body past the limit is cut off while it streams in, before any of it is stored.
        head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big"\r\n\r\n'
        streamed = org_b.post(
            "/v1/files",
            content=iter([head, *[b"x" * 65536] * 40]),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert streamed.status_code == 413
        assert str(error_of(streamed)["message"]).startswith("Request body too large.")
        assert sorted(f["bytes"] for f in org_b.get("/v1/files").json()["data"]) == [500, 500]


def test_legacy_sdk_gets_invalid_request_error_for_the_quota(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--org-storage-bytes", "10")
    result = run_legacy(
        process.base_url,
        "sk-legacy-quota",
        """
        import io
        try:
            openai.File.create(file=io.BytesIO(b"x" * 11), purpose="search")
        except openai.error.InvalidRequestError as exc:
            emit([exc.http_status, str(exc), len(openai.File.list()["data"])])
        """,
    )
    assert result[0] == 400 and "storage limit of 10 bytes" in result[1] and result[2] == 0


# Transport and concurrency.


def test_chunked_upload_without_content_length(raw: httpx.Client) -> None:
    """Node clients stream the multipart body chunked."""
    boundary = "node-form-boundary-123"
    content = ALL_BYTES * 3000
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nanswers\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="stream.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for start in range(0, len(content), 65536):
            yield content[start : start + 65536]
        yield f"\r\n--{boundary}--\r\n".encode()

    request = raw.build_request(
        "POST", "/v1/files", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert "content-length" not in request.headers and request.headers["transfer-encoding"] == "chunked"
    response = raw.send(request)
    assert response.status_code == 200, response.text
    assert response.json()["bytes"] == len(content)
    assert raw.get(f"/v1/files/{response.json()['id']}/content").content == content


async def test_concurrent_uploads_and_deletes_lose_nothing(server: ServerProcess, key: str) -> None:
    payloads = {f"f{i:02}.bin": random.Random(i).randbytes(997 * i + 1) for i in range(50)}
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60, limits=limits) as client:

        async def send(name: str) -> str:
            response = await client.post(
                "/v1/files", data={"purpose": "search"}, files={"file": (name, payloads[name])}
            )
            assert response.status_code == 200, response.text
            return str(response.json()["id"])

        ids = dict(zip(payloads, await asyncio.gather(*(send(name) for name in payloads)), strict=True))
        listed = {f["filename"]: f for f in (await client.get("/v1/files")).json()["data"]}
        assert sorted(listed) == sorted(payloads) and len({f["id"] for f in listed.values()}) == 50
        assert all(listed[name]["bytes"] == len(payloads[name]) for name in payloads)

        # Half deleted while as many more arrive, all at once.
        doomed = list(payloads)[::2]
        extra = {f"g{i:02}.bin": random.Random(100 + i).randbytes(1511 * i + 3) for i in range(25)}
        payloads.update(extra)
        deletions, new_ids = await asyncio.gather(
            asyncio.gather(*(client.delete(f"/v1/files/{ids[name]}") for name in doomed)),
            asyncio.gather(*(send(name) for name in extra)),
        )
        assert [r.json() for r in deletions] == [{"id": ids[n], "object": "file", "deleted": True} for n in doomed]
        ids.update(zip(extra, new_ids, strict=True))
        expected = sorted(set(payloads) - set(doomed))
        listed = {f["filename"]: f for f in (await client.get("/v1/files")).json()["data"]}
        assert sorted(listed) == expected
        contents = await asyncio.gather(*(client.get(f"/v1/files/{ids[name]}/content") for name in expected))
        assert [r.content for r in contents] == [payloads[name] for name in expected]


def _rss_bytes(process: ServerProcess) -> int:
    assert process.process is not None
    status = Path(f"/proc/{process.process.pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]


def test_concurrent_downloads_stream_the_file_instead_of_holding_it(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    size = 40 * 1024 * 1024
    content = random.Random(40).randbytes(size)
    process = start_server("--data-dir", str(tmp_path / "data"))
    with raw_client(process, "sk-big") as client:
        file_id = upload(client, content, "big.bin").json()["id"]
        assert client.get(f"/v1/files/{file_id}/content").content == content
    before = _rss_bytes(process)
    with contextlib.ExitStack() as stack:
        # Four downloads at once, each read only a little way: the server holds what it has not sent yet.
        clients = [stack.enter_context(raw_client(process, "sk-big")) for _ in range(4)]
        downloads = [stack.enter_context(c.stream("GET", f"/v1/files/{file_id}/content")) for c in clients]
        pieces = [download.iter_bytes(65536) for download in downloads]
        heads = [next(piece) for piece in pieces]
        threading.Event().wait(1)
        grown = _rss_bytes(process) - before
        for download, head, piece in zip(downloads, heads, pieces, strict=True):
            assert download.status_code == 200
            assert download.headers["content-length"] == str(size)
            assert download.headers["content-type"] == "application/octet-stream"
            assert head + b"".join(piece) == content
    # Held whole, four downloads would take four times 40 MB.
    assert grown < 40 * 1024 * 1024, f"server memory grew by {grown} bytes"


def test_a_disconnect_rule_cuts_a_download_short(start_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        "- match: {endpoint: files, method: GET, headers: {x-cut: 'yes'}}\n  respond: {disconnect_after_chunks: 0}\n"
    )
    process = start_server("--fixtures", str(tmp_path), "--data-dir", str(tmp_path / "data"))
    with raw_client(process, "sk-cut") as client:
        file_id = upload(client, ALL_BYTES * 1000).json()["id"]
        received = b""
        with (
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("GET", f"/v1/files/{file_id}/content", headers={"x-cut": "yes"}) as cut,
        ):
            for piece in cut.iter_raw():
                received += piece
        assert received == (ALL_BYTES * 1000)[:128_000]  # the first half, then a closed connection
        assert client.get(f"/v1/files/{file_id}/content").content == ALL_BYTES * 1000


def test_fault_rules_apply_to_uploads(start_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    (tmp_path / "files.yaml").write_text(
        "- match: {endpoint: files, method: POST, contains: flaky}\n  respond: {error: server_error}\n"
    )
    process = start_server("--fixtures", str(tmp_path))
    with raw_client(process, "sk-rules") as client:
        failed = upload(client, b"data", "flaky.bin")
        assert failed.status_code == 500 and error_of(failed)["type"] == "server_error"
        assert client.get("/v1/files").json()["data"] == []
        assert upload(client, b"data", "steady.bin").status_code == 200


def test_legacy_sdk_round_trip(server: ServerProcess, key: str) -> None:
    result = run_legacy(
        server.base_url,
        key,
        """
        import io
        created = openai.File.create(file=io.BytesIO(b'{"prompt": "a", "completion": "b"}\\n'), purpose="fine-tune")
        listed = [f["id"] for f in openai.File.list()["data"]]
        content = openai.File.download(created["id"]).decode()
        deleted = openai.File.delete(created["id"])
        try:
            openai.File.retrieve(created["id"])
        except openai.error.InvalidRequestError as exc:
            missing = [exc.http_status, exc.param, str(exc)]
        emit([created["filename"], listed == [created["id"]], content, deleted["deleted"], missing])
        """,
    )
    file_id_message = result[4][2]
    assert result[:4] == ["file", True, '{"prompt": "a", "completion": "b"}\n', True]
    assert result[4][:2] == [404, "id"] and file_id_message.startswith("No such File object: file-")


# The directory store.


def test_directory_store_survives_a_restart(start_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    first = start_server("--data-dir", data_dir)
    client = sdk_client(first, "sk-persist", organization="org-persist")
    made = [client.files.create(file=(f"{i}.bin", ALL_BYTES * (i + 1)), purpose="search") for i in range(3)]
    client.files.delete(made[1].id)
    before = [f.model_dump() for f in client.files.list()]
    first.stop()

    second = start_server("--data-dir", data_dir)
    client = sdk_client(second, "sk-persist", organization="org-persist")
    assert [f.model_dump() for f in client.files.list()] == before
    assert [f["id"] for f in before] == [made[2].id, made[0].id]
    assert client.files.content(made[2].id).read() == ALL_BYTES * 3
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(made[1].id)
    # The seeded id sequence starts over after a restart; a new upload still gets a fresh id.
    fresh = client.files.create(file=("new.bin", b"new"), purpose="search")
    assert fresh.id not in {m.id for m in made}
    assert sdk_client(second, "sk-persist").files.list().data == []


def test_kill_during_uploads_leaves_only_complete_files(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    process = start_server("--data-dir", str(data_dir))
    sent: dict[str, bytes] = {}
    done: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def keep_uploading(worker: int) -> None:
        with raw_client(process, "sk-crash") as client:
            for n in range(1000):
                name = f"w{worker}-{n}.bin"
                content = random.Random(name).randbytes(1_500_000 + 7919 * n)
                with lock:
                    sent[name] = content
                try:
                    response = upload(client, content, name)
                except httpx.TransportError:
                    return
                assert response.status_code == 200, response.text
                with lock:
                    done[name] = response.json()["id"]
                if stop.is_set():
                    return

    workers = [threading.Thread(target=keep_uploading, args=(w,)) for w in range(6)]
    for worker in workers:
        worker.start()
    while len(done) < 8:
        threading.Event().wait(0.02)
    process.stop(signal.SIGKILL)
    stop.set()
    for worker in workers:
        worker.join()
    assert len(sent) > len(done)  # uploads were in flight when the server died

    restarted = start_server("--data-dir", str(data_dir))
    with raw_client(restarted, "sk-crash") as client:
        listed = client.get("/v1/files").json()["data"]
        for item in listed:
            assert client.get(f"/v1/files/{item['id']}/content").content == sent[item["filename"]]
            assert item["bytes"] == len(sent[item["filename"]])
    # Every upload answered before the kill was durable; nothing half-written is left behind.
    listed_ids = {item["id"] for item in listed}
    assert set(done.values()) <= listed_ids
    names = sorted(p.name for p in (data_dir / "files").glob("*/file-*"))
    assert names == sorted([f"{i}.content" for i in listed_ids] + [f"{i}.json" for i in listed_ids])


# Worker processes (--workers 2): one store in a directory they share, so every worker sees every file.


def workers_client(process: ServerProcess, key: str) -> httpx.Client:
    """A new connection per request, so that the requests are spread over the workers."""
    client = raw_client(process, key)
    client.headers["Connection"] = "close"
    return client


@pytest.mark.parametrize("with_data_dir", [False, True], ids=["shared-temp-dir", "data-dir"])
def test_workers_share_uploads_listing_and_deletes(
    start_server: Callable[..., ServerProcess], tmp_path: Path, with_data_dir: bool
) -> None:
    data_dir = tmp_path / "data"
    process = start_server("--workers", "2", *(["--data-dir", str(data_dir)] if with_data_dir else []))
    payloads = {f"w{i:02}.bin": random.Random(i).randbytes(4000 + 997 * i) for i in range(20)}
    with workers_client(process, "sk-workers") as client:
        created = {name: upload(client, data, name).json() for name, data in payloads.items()}
        assert len({f["id"] for f in created.values()}) == 20
        for name, data in payloads.items():
            file_id = created[name]["id"]
            assert client.get(f"/v1/files/{file_id}").json() == created[name]
            assert client.get(f"/v1/files/{file_id}/content").content == data
        newest_first = [created[name] for name in reversed(payloads)]
        ends = {"first_id": newest_first[0]["id"], "last_id": newest_first[-1]["id"]}
        for _ in range(6):
            listed = client.get("/v1/files").json()
            assert listed == {"object": "list", "data": newest_first, **ends, "has_more": False}
        # The SDK pages through them, each page from whichever worker answers.
        sdk = sdk_client(process, "sk-workers", default_headers={"Connection": "close"})
        assert [f.id for f in sdk.files.list(limit=3)] == [f["id"] for f in newest_first]

        doomed = list(payloads)[::2]
        for name in doomed:
            assert client.delete(f"/v1/files/{created[name]['id']}").json()["deleted"] is True
        for name in doomed:
            for _ in range(2):
                assert_not_found(client, created[name]["id"])
        kept = [f for f in newest_first if f["filename"] not in doomed]
        for _ in range(4):
            assert client.get("/v1/files").json()["data"] == kept
    if with_data_dir:
        assert len(list((data_dir / "files").glob("*/file-*.content"))) == 10


def test_workers_without_a_data_dir_share_a_temporary_one_removed_at_exit(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    process = start_server("--workers", "2", env={"TMPDIR": str(temp)})
    with workers_client(process, "sk-temp") as client:
        file_id = upload(client, b"shared").json()["id"]
        (shared,) = temp.glob("mockapi-workers-*")
        assert sorted(p.name for p in shared.glob("files/*/file-*")) == [f"{file_id}.content", f"{file_id}.json"]
        assert shared.stat().st_mode & 0o077 == 0  # private to the user running the server
    assert process.stop() == 0
    assert list(temp.glob("mockapi-workers-*")) == []
