"""/v1/vector_stores through the official SDK against a real server whose clock stands still until advanced,
every 2xx body checked against the current spec.

Each test uses its own API key, so it sees only its own files and stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockapi.pytest_plugin import Mockapi
from tests.contract import current_spec
from tests.support import ServerProcess, error_of, sdk_client

START = 1_700_000_000
VOLCANOES = (
    "Volcanoes form where magma from the mantle rises through the crust. When pressure from dissolved gases "
    "builds up, the magma erupts as lava, ash and volcanic bombs. Shield volcanoes such as Mauna Loa have gentle "
    "slopes of basaltic lava, while stratovolcanoes like Mount Fuji are steep cones of layered ash and lava."
)
BREAD = (
    "Baking bread starts with flour, water, salt and yeast. Kneading the dough develops gluten, which traps "
    "the carbon dioxide the yeast makes as it ferments, so the loaf rises. A sourdough starter replaces "
    "commercial yeast with wild yeast and lactic bacteria; the oven's steam gives the crust its shine."
)
CHESS = (
    "Chess openings set up the middlegame. The Sicilian Defence answers 1.e4 with c5, fighting for the centre "
    "asymmetrically; the Queen's Gambit offers a pawn to gain central control. Castling early keeps the king "
    "safe while the rooks connect along the back rank."
)
# The purpose the SDK's upload helpers give files for vector stores.
PURPOSE = "assistants"


@pytest.fixture(scope="module")
def clocked() -> Iterator[ServerProcess]:
    with ServerProcess(["--fixed-time", str(START)]) as process:
        yield process


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    return "sk-vs-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:24]


@pytest.fixture
def sdk(clocked: ServerProcess, key: str) -> openai.OpenAI:
    return sdk_client(clocked, key)


@pytest.fixture
def raw(clocked: ServerProcess, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=clocked.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        yield client


def advance(server: ServerProcess, seconds: float) -> None:
    assert httpx.post(server.url + "/__mockapi/clock/advance", json={"seconds": seconds}).status_code == 200


def upload(sdk: openai.OpenAI, name: str, content: str | bytes) -> str:
    data = content.encode() if isinstance(content, str) else content
    return sdk.files.create(file=(name, data), purpose=PURPOSE).id  # type: ignore[arg-type]


def checked(response: httpx.Response, path: str, method: str) -> Any:
    """The body of a 2xx answer, once it validates against the current spec."""
    assert response.status_code == 200, response.text
    body = response.json()
    current_spec.check(path, method, body)
    return body


def three_topics(sdk: openai.OpenAI, server: ServerProcess) -> tuple[str, dict[str, str]]:
    ids = {
        "volcanoes": upload(sdk, "volcanoes.txt", VOLCANOES),
        "bread": upload(sdk, "bread.md", BREAD),
        "chess": upload(sdk, "chess.txt", CHESS),
    }
    store = sdk.vector_stores.create(name="topics")
    for subject, file_id in ids.items():
        sdk.vector_stores.files.create(store.id, file_id=file_id, attributes={"subject": subject, "year": len(subject)})
    advance(server, 5)
    return store.id, ids


def test_search_ranks_the_file_about_the_query_first(
    sdk: openai.OpenAI, raw: httpx.Client, clocked: ServerProcess
) -> None:
    store_id, ids = three_topics(sdk, clocked)
    for query, subject in (
        ("How does magma erupt from a volcano?", "volcanoes"),
        ("Why does the sourdough loaf rise?", "bread"),
        ("a good chess opening against e4", "chess"),
    ):
        results = list(sdk.vector_stores.search(store_id, query=query))
        assert results[0].file_id == ids[subject]
        assert len(results) == 3
        scores = [r.score for r in results]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[1] and all(0 <= s <= 1 for s in scores)
    body = checked(
        raw.post(f"/vector_stores/{store_id}/search", json={"query": "volcanic ash", "max_num_results": 1}),
        "/vector_stores/{vector_store_id}/search",
        "post",
    )
    assert body["search_query"] == ["volcanic ash"] and body["has_more"] is False and body["next_page"] is None
    [hit] = body["data"]
    assert (hit["file_id"], hit["filename"]) == (ids["volcanoes"], "volcanoes.txt")
    assert hit["attributes"] == {"subject": "volcanoes", "year": 9}
    assert hit["content"] == [{"type": "text", "text": VOLCANOES}]


def test_search_filters_by_attribute_and_takes_its_options(sdk: openai.OpenAI, clocked: ServerProcess) -> None:
    store_id, ids = three_topics(sdk, clocked)
    bread_only = sdk.vector_stores.search(
        store_id, query="magma", filters={"type": "eq", "key": "subject", "value": "bread"}
    )
    assert [r.file_id for r in bread_only] == [ids["bread"]]
    compound = sdk.vector_stores.search(
        store_id,
        query="lava",
        filters={
            "type": "and",
            "filters": [
                {"type": "nin", "key": "subject", "value": ["chess"]},
                {"type": "gt", "key": "year", "value": 5},
            ],
        },
    )
    assert [r.file_id for r in compound] == [ids["volcanoes"]]
    assert len(list(sdk.vector_stores.search(store_id, query="lava", max_num_results=2))) == 2
    strict = sdk.vector_stores.search(store_id, query="lava ash volcano", ranking_options={"score_threshold": 0.3})
    assert [r.file_id for r in strict] == [ids["volcanoes"]]
    rewritten = sdk.vector_stores.with_raw_response.search(
        store_id, query=["What is the sourdough starter made of?", "volcano"], rewrite_query=True
    )
    assert rewritten.http_response.json()["search_query"] == ["sourdough starter made", "volcano"]
    searched = sdk.vector_stores.retrieve(store_id)
    assert searched.last_active_at == searched.created_at + 5  # the searches, 5 s after it was made, mark it active


def test_ingestion_moves_with_the_clock(sdk: openai.OpenAI, raw: httpx.Client, clocked: ServerProcess) -> None:
    file_id = upload(sdk, "bread.txt", BREAD)
    store = checked(
        raw.post("/vector_stores", json={"name": "kitchen", "file_ids": [file_id]}), "/vector_stores", "post"
    )
    assert store["status"] == "in_progress" and store["file_counts"]["in_progress"] == 1
    assert store["usage_bytes"] == 0 and store["name"] == "kitchen"
    attached = raw.get(f"/vector_stores/{store['id']}/files/{file_id}")
    assert checked(attached, "/vector_stores/{vector_store_id}/files/{file_id}", "get")["status"] == "in_progress"
    assert attached.headers["openai-poll-after-ms"] == "1000"  # the clock stands still: the SDK's usual second
    assert list(sdk.vector_stores.search(store["id"], query="yeast")) == []
    advance(clocked, 2)
    done = sdk.vector_stores.files.retrieve(file_id, vector_store_id=store["id"])
    assert (done.status, done.last_error) == ("completed", None)
    assert done.usage_bytes == len(BREAD.encode()) and done.chunking_strategy is not None
    assert done.chunking_strategy.model_dump() == {
        "type": "static",
        "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
    }
    ready = checked(raw.get(f"/vector_stores/{store['id']}"), "/vector_stores/{vector_store_id}", "get")
    assert ready["status"] == "completed" and ready["usage_bytes"] == done.usage_bytes
    assert ready["file_counts"] == {"in_progress": 0, "completed": 1, "failed": 0, "cancelled": 0, "total": 1}
    content = raw.get(f"/vector_stores/{store['id']}/files/{file_id}/content")
    assert checked(content, "/vector_stores/{vector_store_id}/files/{file_id}/content", "get")["data"] == [
        {"type": "text", "text": BREAD}
    ]
    assert [part.text for part in sdk.vector_stores.files.content(file_id, vector_store_id=store["id"])] == [BREAD]
    second = upload(sdk, "bread-again.txt", BREAD)
    attach = raw.post(f"/vector_stores/{store['id']}/files", json={"file_id": second, "attributes": {"n": 2}})
    attached_body = checked(attach, "/vector_stores/{vector_store_id}/files", "post")
    assert (attached_body["id"], attached_body["status"], attached_body["attributes"]) == (
        second,
        "in_progress",
        {"n": 2},
    )


def test_a_file_that_cannot_be_parsed_fails_with_the_real_last_error(
    sdk: openai.OpenAI, raw: httpx.Client, clocked: ServerProcess
) -> None:
    store = sdk.vector_stores.create(name="mixed")
    binary = upload(sdk, "image.bin", bytes(range(256)) * 4)
    garbled = upload(sdk, "notes.txt", b"\x00\xff\xfe binary")
    static = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 50}}
    for file_id in (binary, garbled):
        sdk.vector_stores.files.create(store.id, file_id=file_id, chunking_strategy=static)  # type: ignore[arg-type]
    advance(clocked, 2)
    failed = {f.id: f for f in sdk.vector_stores.files.list(store.id, filter="failed")}
    assert set(failed) == {binary, garbled}
    assert failed[binary].last_error is not None and failed[garbled].last_error is not None
    assert failed[binary].last_error.model_dump() == {
        "code": "unsupported_file",
        "message": "The file type is not supported.",
    }
    assert failed[garbled].last_error.model_dump() == {
        "code": "invalid_file",
        "message": "The file could not be parsed.",
    }
    assert failed[binary].usage_bytes == 0
    listing = raw.get(f"/vector_stores/{store.id}/files", params={"filter": "failed"})
    checked(listing, "/vector_stores/{vector_store_id}/files", "get")
    assert sdk.vector_stores.retrieve(store.id).file_counts.failed == 2


def test_file_batches_attach_many_and_cancel(sdk: openai.OpenAI, raw: httpx.Client, clocked: ServerProcess) -> None:
    store = sdk.vector_stores.create(name="batched")
    ids = [upload(sdk, f"topic{i}.txt", text) for i, text in enumerate((VOLCANOES, BREAD, CHESS))]
    created = raw.post(f"/vector_stores/{store.id}/file_batches", json={"file_ids": ids, "attributes": {"set": "a"}})
    batch = checked(created, "/vector_stores/{vector_store_id}/file_batches", "post")
    assert batch["id"].startswith("vsfb_") and batch["status"] == "in_progress"
    assert batch["file_counts"] == {"in_progress": 3, "completed": 0, "failed": 0, "cancelled": 0, "total": 3}
    files = raw.get(f"/vector_stores/{store.id}/file_batches/{batch['id']}/files", params={"limit": 2})
    page = checked(files, "/vector_stores/{vector_store_id}/file_batches/{batch_id}/files", "get")
    assert len(page["data"]) == 2 and page["has_more"] is True
    advance(clocked, 2)
    retrieved = raw.get(f"/vector_stores/{store.id}/file_batches/{batch['id']}")
    assert (
        checked(retrieved, "/vector_stores/{vector_store_id}/file_batches/{batch_id}", "get")["status"] == "completed"
    )
    listed = sdk.vector_stores.file_batches.list_files(batch["id"], vector_store_id=store.id)
    assert {f.id for f in listed} == set(ids) and {f.attributes["set"] for f in listed if f.attributes} == {"a"}
    refused = raw.post(f"/vector_stores/{store.id}/file_batches/{batch['id']}/cancel")
    assert refused.status_code == 400

    again = sdk.vector_stores.file_batches.create(
        store.id, files=[{"file_id": ids[0], "attributes": {"set": "b"}}, {"file_id": ids[1]}]
    )
    cancelled = raw.post(f"/vector_stores/{store.id}/file_batches/{again.id}/cancel")
    body = checked(cancelled, "/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel", "post")
    assert body["status"] == "cancelled" and body["file_counts"]["cancelled"] == 2
    advance(clocked, 2)
    assert sdk.vector_stores.files.retrieve(ids[0], vector_store_id=store.id).status == "cancelled"
    assert {r.file_id for r in sdk.vector_stores.search(store.id, query="lava bread")} == {ids[2]}


def test_delete_detaches_files_and_removes_stores(
    sdk: openai.OpenAI, raw: httpx.Client, clocked: ServerProcess
) -> None:
    store_id, ids = three_topics(sdk, clocked)
    detached = raw.delete(f"/vector_stores/{store_id}/files/{ids['volcanoes']}")
    assert checked(detached, "/vector_stores/{vector_store_id}/files/{file_id}", "delete") == {
        "id": ids["volcanoes"],
        "object": "vector_store.file.deleted",
        "deleted": True,
    }
    assert ids["volcanoes"] not in {r.file_id for r in sdk.vector_stores.search(store_id, query="volcano lava")}
    assert sdk.files.retrieve(ids["volcanoes"]).id == ids["volcanoes"]  # the upload itself stays
    gone = checked(raw.delete(f"/vector_stores/{store_id}"), "/vector_stores/{vector_store_id}", "delete")
    assert gone == {"id": store_id, "object": "vector_store.deleted", "deleted": True}
    with pytest.raises(openai.NotFoundError) as missing:
        sdk.vector_stores.retrieve(store_id)
    assert missing.value.body == {
        "message": f"No vector store found with id '{store_id}'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_stores_page_by_cursor_and_are_modified(sdk: openai.OpenAI, raw: httpx.Client, clocked: ServerProcess) -> None:
    made = []
    for index in range(5):
        made.append(sdk.vector_stores.create(name=f"store {index}", metadata={"n": str(index)}).id)
        advance(clocked, 1)
    assert [s.id for s in sdk.vector_stores.list(limit=2)] == made[::-1]  # the SDK pages on by itself
    first = checked(raw.get("/vector_stores", params={"limit": 2, "order": "asc"}), "/vector_stores", "get")
    assert [s["id"] for s in first["data"]] == made[:2] and first["has_more"] is True
    assert (first["first_id"], first["last_id"]) == (made[0], made[1])
    after = raw.get("/vector_stores", params={"limit": 2, "order": "asc", "after": made[1]}).json()
    assert [s["id"] for s in after["data"]] == made[2:4]
    before = raw.get("/vector_stores", params={"limit": 2, "order": "asc", "before": made[4]}).json()
    assert [s["id"] for s in before["data"]] == made[2:4]
    unknown = raw.get("/vector_stores", params={"after": "vs_nothing"})
    assert (unknown.status_code, error_of(unknown)["param"]) == (400, "after")
    changed = raw.post(
        f"/vector_stores/{made[0]}",
        json={"name": "renamed", "metadata": {"team": "x"}, "expires_after": {"anchor": "last_active_at", "days": 2}},
    )
    body = checked(changed, "/vector_stores/{vector_store_id}", "post")
    assert (body["name"], body["metadata"]) == ("renamed", {"team": "x"})
    assert body["expires_at"] == body["last_active_at"] + 2 * 86400
    advance(clocked, 2 * 86400)
    assert sdk.vector_stores.retrieve(made[0]).status == "expired"
    expired = raw.post(f"/vector_stores/{made[0]}/search", json={"query": "x"})
    assert (expired.status_code, error_of(expired)["message"]) == (400, f"Vector store '{made[0]}' has expired.")
    assert sdk.vector_stores.update(made[0], expires_after=None).status == "completed"


@pytest.mark.parametrize(
    ("path", "body", "status", "param"),
    [
        ("/vector_stores", {"name": 5}, 400, "name"),
        ("/vector_stores", {"expires_after": {"anchor": "created_at", "days": 1}}, 400, "expires_after.anchor"),
        ("/vector_stores", {"metadata": {f"k{i}": "v" for i in range(17)}}, 400, "metadata"),
        (
            "/vector_stores",
            {
                "chunking_strategy": {
                    "type": "static",
                    "static": {"max_chunk_size_tokens": 50, "chunk_overlap_tokens": 0},
                }
            },
            400,
            "chunking_strategy.static.max_chunk_size_tokens",
        ),
        (
            "/vector_stores",
            {
                "chunking_strategy": {
                    "type": "static",
                    "static": {"max_chunk_size_tokens": 400, "chunk_overlap_tokens": 201},
                }
            },
            400,
            "chunking_strategy.static.chunk_overlap_tokens",
        ),
        ("/vector_stores", {"chunking_strategy": {"type": "fancy"}}, 400, "chunking_strategy.type"),
        ("/vector_stores", {"file_ids": ["file-missing"]}, 404, "file_ids[0]"),
        ("/vector_stores", {"colour": "red"}, 400, "colour"),
        ("/vector_stores/{store}/search", {"query": "x", "max_num_results": 51}, 400, "max_num_results"),
        ("/vector_stores/{store}/search", {"query": ""}, 400, "query"),
        (
            "/vector_stores/{store}/search",
            {"query": "x", "ranking_options": {"score_threshold": 2}},
            400,
            "ranking_options.score_threshold",
        ),
        ("/vector_stores/{store}/search", {"query": "x", "filters": {"type": "eq", "key": "k"}}, 400, "filters.value"),
        ("/vector_stores/{store}/search", {}, 400, "query"),
        ("/vector_stores/{store}/files", {"file_id": "file-missing"}, 404, "file_id"),
        ("/vector_stores/{store}/files", {"file_id": "x", "attributes": {"k": "v" * 513}}, 400, "attributes.k"),
        ("/vector_stores/{store}/file_batches", {"file_ids": ["a"], "files": [{"file_id": "a"}]}, 400, "files"),
        ("/vector_stores/{store}/file_batches", {"file_ids": []}, 400, "file_ids"),
        ("/vector_stores/{store}/file_batches", {"files": [{"file_id": "file-missing"}]}, 404, "files[0].file_id"),
        ("/vector_stores/vs_missing/search", {"query": "x"}, 404, None),
        ("/vector_stores/abc/search", {"query": "x"}, 400, "vector_store_id"),
    ],
)
def test_invalid_requests_are_the_real_errors_naming_the_field(
    sdk: openai.OpenAI, raw: httpx.Client, path: str, body: dict[str, Any], status: int, param: str | None
) -> None:
    store = sdk.vector_stores.create(name="errors")
    response = raw.post(path.format(store=store.id), json=body)
    assert response.status_code == status, response.text
    assert error_of(response)["param"] == param


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ({"name": 5}, "Invalid type for 'name': expected a string, but got an integer instead.", "invalid_type"),
        ({"colour": "red"}, "Unknown parameter: 'colour'.", "unknown_parameter"),
        (
            {"expires_after": {"anchor": "last_active_at", "days": 0}},
            "Invalid 'expires_after.days': integer below minimum value. Expected a value >= 1, but got 0 instead.",
            "integer_below_min_value",
        ),
        (
            {"chunking_strategy": {"type": "fancy"}},
            "Invalid value: 'fancy'. Supported values are: 'auto' and 'static'.",
            "invalid_value",
        ),
        (
            {"metadata": {"note": "x" * 600}},
            "Invalid 'metadata.note': string too long. Expected a string with maximum length 512, but got a string "
            "with length 600 instead.",
            "string_above_max_length",
        ),
    ],
)
def test_refusals_are_worded_as_todays_api_words_them(
    raw: httpx.Client, body: dict[str, Any], message: str, code: str
) -> None:
    error = error_of(raw.post("/vector_stores", json=body))
    assert (error["message"], error["code"], error["type"]) == (message, code, "invalid_request_error")


def test_search_refusals_are_worded_as_todays_api_words_them(sdk: openai.OpenAI, raw: httpx.Client) -> None:
    store = sdk.vector_stores.create(name="words")
    search = f"/vector_stores/{store.id}/search"
    too_many = error_of(raw.post(search, json={"query": "x", "max_num_results": 51}))
    assert too_many["message"] == (
        "Invalid 'max_num_results': integer above maximum value. Expected a value <= 50, but got 51 instead."
    )
    assert error_of(raw.post(search, json={}))["message"] == "Missing required parameter: 'query'."
    threshold = error_of(raw.post(search, json={"query": "x", "ranking_options": {"score_threshold": 2}}))
    assert threshold["message"] == (
        "Invalid 'ranking_options.score_threshold': decimal above maximum value. Expected a value <= 1, but got 2 "
        "instead."
    )


def test_files_and_batches_of_other_stores_are_not_found(sdk: openai.OpenAI, raw: httpx.Client) -> None:
    one, two = sdk.vector_stores.create(name="one"), sdk.vector_stores.create(name="two")
    file_id = upload(sdk, "chess.txt", CHESS)
    sdk.vector_stores.files.create(one.id, file_id=file_id)
    batch = sdk.vector_stores.file_batches.create(one.id, file_ids=[file_id])
    missing_file = raw.get(f"/vector_stores/{two.id}/files/{file_id}")
    assert missing_file.status_code == 404
    assert error_of(missing_file)["message"] == f"No file found with id '{file_id}' in vector store '{two.id}'."
    assert raw.get(f"/vector_stores/{two.id}/file_batches/{batch.id}").status_code == 404
    wrong = raw.get(f"/vector_stores/{one.id}/file_batches/{one.id}")
    assert error_of(wrong)["message"] == f"Invalid 'batch_id': '{one.id}'. Expected an ID that begins with 'vsfb_'."
    with httpx.Client(base_url=raw.base_url, headers={"Authorization": "Bearer sk-someone-else"}) as other:
        assert other.get(f"/vector_stores/{one.id}").status_code == 404
        assert other.get("/vector_stores").json()["data"] == []


def test_attributes_are_updated(sdk: openai.OpenAI, raw: httpx.Client, clocked: ServerProcess) -> None:
    store_id, ids = three_topics(sdk, clocked)
    changed = raw.post(f"/vector_stores/{store_id}/files/{ids['chess']}", json={"attributes": {"subject": "games"}})
    assert checked(changed, "/vector_stores/{vector_store_id}/files/{file_id}", "post")["attributes"] == {
        "subject": "games"
    }
    games = sdk.vector_stores.search(store_id, query="pawn", filters={"type": "eq", "key": "subject", "value": "games"})
    assert [r.file_id for r in games] == [ids["chess"]]


def test_rules_match_a_search_by_its_query(mockapi: Mockapi) -> None:
    mockapi.add_rule(
        match={"endpoint": "vector_stores.search", "contains": "refund"},
        respond={"error": {"status": 503, "message": "search is down"}},
    )
    client = mockapi.openai_client()
    store = client.vector_stores.create(name="faq")
    with pytest.raises(openai.InternalServerError) as caught:
        client.vector_stores.search(store.id, query="refund policy")
    assert caught.value.status_code == 503
    assert list(client.vector_stores.search(store.id, query="shipping")) == []


def test_stores_outlive_the_server_in_its_data_directory(start_server: Any, tmp_path: Any) -> None:
    # The clock runs in real time (a fast one would leave the restarted server's clock behind its files').
    flags = ("--data-dir", str(tmp_path))
    first = sdk_client(start_server(*flags), "sk-vs-kept")
    store = first.vector_stores.create(name="kept")
    attached = first.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=("chess.txt", CHESS.encode()))
    assert attached.status == "completed"  # the SDK's helper: upload (purpose assistants), attach, poll
    file_id = attached.id
    found = [(r.file_id, r.score) for r in first.vector_stores.search(store.id, query="Sicilian Defence")]
    assert found[0][0] == file_id
    second = sdk_client(start_server(*flags), "sk-vs-kept")
    assert second.vector_stores.retrieve(store.id).file_counts.completed == 1
    assert [(r.file_id, r.score) for r in second.vector_stores.search(store.id, query="Sicilian Defence")] == found
