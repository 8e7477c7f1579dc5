"""The /v1/files routes in the fuzz, driven by several callers: two API keys, alone and with organizations.

A pool follows what is stored and whose it is (the seeded uploads, then every upload and delete the fuzz
makes), so each answer can be checked against it: a caller's own file is served, anyone else's file is a
404 exactly like a missing one, and a listing never shows another owner's file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx
from hypothesis import strategies as st

from tests.contract import spec
from tests.hardening.routes import FuzzRoute, Sent
from tests.hardening.strategies import TEXT, Strategy, weighted
from tests.support import error_of


@dataclass(frozen=True)
class Caller:
    headers: dict[str, str]
    owner: str | None  # None: the request carries no key, and gets a 401


ALICE, BOB = "sk-fuzz-alice-0000000001", "sk-fuzz-bob-00000000002"
CALLERS = [
    Caller({"Authorization": f"Bearer {ALICE}"}, f"key:{ALICE}"),
    Caller({"Authorization": f"Bearer {BOB}"}, f"key:{BOB}"),
    # An organization owns the files, whichever key sends them.
    Caller({"Authorization": f"Bearer {ALICE}", "OpenAI-Organization": "org-red"}, "org:org-red"),
    Caller({"Authorization": f"Bearer {BOB}", "OpenAI-Organization": "org-red"}, "org:org-red"),
    Caller({"Authorization": f"Bearer {BOB}", "OpenAI-Organization": "org-blue"}, "org:org-blue"),
    Caller({}, None),
]
CALLER_INDEX: Strategy = weighted((10, st.integers(0, len(CALLERS) - 2)), (1, st.just(len(CALLERS) - 1)))


@dataclass
class Pool:
    """What the server stores, as the fuzz saw it: file id -> (owner, bytes)."""

    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def ids(self, owner: str | None, own: bool) -> list[str]:
        return [file_id for file_id, (whose, _) in self.files.items() if (whose == owner) == own]


POOL = Pool()


def seed_pool(client: httpx.Client, per_caller: int = 2) -> None:
    """Files of every owner, stored before the fuzz starts, so retrieve, content and delete find some."""
    for caller in CALLERS:
        if caller.owner is None:
            continue
        for index in range(per_caller):
            content = json.dumps({"prompt": f"{caller.owner} {index}", "completion": "ok"}).encode() + b"\n"
            files = {"file": ("seed.jsonl", content)}
            response = client.post("/v1/files", headers=caller.headers, data={"purpose": "fine-tune"}, files=files)
            assert response.status_code == 200, response.text
            assert caller.owner is not None
            POOL.files[response.json()["id"]] = (caller.owner, content)


def _caller(sent: Sent) -> Caller:
    return CALLERS[sent["_caller"]]


def _missing_body(file_id: str) -> dict[str, object]:
    return {
        "error": {
            "message": f"No such File object: {file_id}",
            "type": "invalid_request_error",
            "param": "id",
            "code": None,
        }
    }


# Uploads.

GOOD_JSONL = st.lists(
    st.builds(lambda p, c: json.dumps({"prompt": p, "completion": c}), TEXT, TEXT), min_size=1, max_size=3
).map(lambda lines: "\n".join(lines).encode() + b"\n")
ANY_BYTES = st.one_of(
    st.binary(max_size=200), st.just(b""), st.just(b'{"prompt": 1}\n'), st.just(b"not json\n"), GOOD_JSONL
)
PURPOSES = st.sampled_from(["fine-tune", "search", "answers", "classifications"])
UPLOAD_NAMES = st.sampled_from(["data.jsonl", "a", "../../etc/passwd", "C:\\\\x\\\\y.jsonl", "é.jsonl", "a\x00b"])


@st.composite
def _upload(draw: st.DrawFn) -> Sent:
    caller = draw(CALLER_INDEX)
    headers = CALLERS[caller].headers
    if draw(st.booleans()):  # meant to be stored
        return {
            "method": "POST",
            "url": "/v1/files",
            "headers": headers,
            "data": {"purpose": "fine-tune"},
            "files": {"file": (draw(UPLOAD_NAMES), draw(GOOD_JSONL))},
            "_caller": caller,
        }
    data = {"purpose": draw(PURPOSES | TEXT)} if draw(st.integers(0, 3)) else {}
    data.update(draw(st.dictionaries(TEXT, TEXT, max_size=1)))
    how = draw(st.sampled_from(["file", "file", "field", "none"]))
    files = {"file": (draw(UPLOAD_NAMES), draw(ANY_BYTES))} if how == "file" else None
    if how == "field":
        data["file"] = draw(TEXT)
    return {"method": "POST", "url": "/v1/files", "headers": headers, "data": data, "files": files, "_caller": caller}


def _stored(sent: Sent, response: httpx.Response) -> None:
    body = response.json()
    spec.check("/files", "post", body)
    content = sent["files"]["file"][1]
    assert body["bytes"] == len(content) and body["purpose"] == sent["data"]["purpose"]
    owner = _caller(sent).owner
    assert owner is not None and body["id"] not in POOL.files
    POOL.files[body["id"]] = (owner, content)


# Listing.


@st.composite
def _listing(draw: st.DrawFn) -> Sent:
    caller = draw(CALLER_INDEX)
    params = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "limit": st.integers(-2, 12).map(str) | TEXT,
                "order": st.sampled_from(["asc", "desc"]) | TEXT,
                "purpose": PURPOSES | TEXT,
                "after": st.from_regex(r"file-[A-Za-z0-9]{0,24}", fullmatch=True) | TEXT,
            },
        )
    )
    return {
        "method": "GET",
        "url": "/v1/files",
        "headers": CALLERS[caller].headers,
        "params": params,
        "_caller": caller,
    }


def _listed(sent: Sent, response: httpx.Response) -> None:
    body = response.json()
    spec.check("/files", "get", body)
    owner = _caller(sent).owner
    listed = [item["id"] for item in body["data"]]
    others = [file_id for file_id in listed if POOL.files.get(file_id, ("?",))[0] != owner]
    assert not others, f"{owner} was shown files it does not own: {others}"
    if not sent["params"]:
        assert sorted(listed) == sorted(POOL.ids(owner, own=True))


# One file: retrieve, content, delete.

WHOSE = st.sampled_from(["own", "own", "other", "other", "missing", "garbage"])
GARBAGE_IDS = st.from_regex(r"file-[A-Za-z0-9]{0,30}", fullmatch=True) | st.from_regex(r"[\w-]{1,30}", fullmatch=True)


def _one_file(method: str, suffix: str) -> Strategy:
    return st.builds(
        lambda caller, whose, pick, garbage: {
            "method": method,
            "url": "/v1/files/{}" + suffix,
            "headers": CALLERS[caller].headers,
            "_caller": caller,
            "_file": (whose, pick, garbage),
        },
        CALLER_INDEX,
        WHOSE,
        st.integers(0, 10_000),
        GARBAGE_IDS,
    )


def _pick_file(sent: Sent) -> Sent:
    """The drawn choice made concrete: one of the caller's files, someone else's, a missing id, garbage."""
    whose, pick, garbage = sent["_file"]
    owner = _caller(sent).owner
    candidates = POOL.ids(owner, own=whose == "own") if whose in ("own", "other") else []
    if candidates:
        file_id = candidates[pick % len(candidates)]
    elif whose == "garbage":
        file_id = garbage
    else:
        file_id = f"file-missing{pick:06d}"
    return {**sent, "url": sent["url"].format(file_id), "_file_id": file_id}


def _only_own_files(sent: Sent, response: httpx.Response) -> None:
    """Without a key: 401. A file of the caller's owner: served. Anyone else's: the very 404 of a missing id."""
    caller, file_id = _caller(sent), sent["_file_id"]
    if caller.owner is None:
        assert response.status_code == 401, response.text
        return
    whose = POOL.files.get(file_id, (None, b""))[0]
    if whose == caller.owner:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 404, f"{caller.owner} asked for {whose}'s {file_id}: {response.text}"
    error_of(response)
    assert response.json() == _missing_body(file_id)


def _retrieved(sent: Sent, response: httpx.Response) -> None:
    body = response.json()
    spec.check("/files/{file_id}", "get", body)
    assert body["id"] == sent["_file_id"] and body["bytes"] == len(POOL.files[sent["_file_id"]][1])


def _content(sent: Sent, response: httpx.Response) -> None:
    assert response.content == POOL.files[sent["_file_id"]][1]


def _deleted(sent: Sent, response: httpx.Response) -> None:
    body = response.json()
    spec.check("/files/{file_id}", "delete", body)
    assert body == {"id": sent["_file_id"], "object": "file", "deleted": True}
    del POOL.files[sent["_file_id"]]


# In this order: uploads fill the pool, deletes empty it last.
FILE_ROUTES: list[FuzzRoute] = [
    FuzzRoute("files.upload", _upload(), _stored),
    FuzzRoute("files.list", _listing(), _listed),
    FuzzRoute("files.retrieve", _one_file("GET", ""), _retrieved, _only_own_files, _pick_file),
    FuzzRoute("files.content", _one_file("GET", "/content"), _content, _only_own_files, _pick_file),
    FuzzRoute("files.delete", _one_file("DELETE", ""), _deleted, _only_own_files, _pick_file),
]
