"""File and batch bodies validated against the current spec (a copy in tests/contract), from a real server.

The API sends an optional field it has no value for as null (`"failed_at": null`), where the spec leaves the
field out; so a null is taken as an absent field before validating. A required field is never dropped that
way unnoticed: absent, it fails as missing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.contract import current_spec
from tests.support import ServerProcess

START = 1_770_000_000
LINE = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions"}
LINE["body"] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}  # type: ignore[assignment]


def unset_dropped(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: unset_dropped(value) for key, value in body.items() if value is not None}
    if isinstance(body, list):
        return [unset_dropped(item) for item in body]
    return body


def check(path: str, method: str, body: Any) -> None:
    current_spec.check(path, method, unset_dropped(body))


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[ServerProcess, httpx.Client]]:
    with (
        ServerProcess(["--fixed-time", str(START)]) as process,
        httpx.Client(base_url=process.url, headers={"Authorization": "Bearer sk-contract"}, timeout=30) as client,
    ):
        yield process, client


def advance(process: ServerProcess, seconds: float) -> None:
    httpx.post(process.url + "/__mockapi/clock/advance", json={"seconds": seconds}).raise_for_status()


def upload(client: httpx.Client, purpose: str, name: str, content: bytes, **fields: str) -> dict[str, Any]:
    response = client.post("/v1/files", data={"purpose": purpose, **fields}, files={"file": (name, content)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2)).save(out, "PNG")
    return out.getvalue()


def test_file_bodies_of_todays_purposes_match_the_current_spec(api: tuple[ServerProcess, httpx.Client]) -> None:
    _, client = api
    made = [
        upload(client, "assistants", "a.md", b"# a"),
        upload(client, "batch", "b.jsonl", json.dumps(LINE).encode()),
        upload(client, "vision", "v.png", png()),
        upload(
            client,
            "user_data",
            "u.bin",
            b"\0\1",
            **{"expires_after[anchor]": "created_at"},
            **{"expires_after[seconds]": "3600"},
        ),
        upload(client, "fine-tune", "f.jsonl", b'{"messages": [{"role": "user", "content": "Hi"}]}\n'),
    ]
    for body in made:
        check("/files", "post", body)
        check("/files/{file_id}", "get", client.get(f"/v1/files/{body['id']}").json())
    listed = client.get("/v1/files").json()
    assert [f["id"] for f in listed["data"]] == [f["id"] for f in reversed(made)]
    check("/files", "get", listed)
    check("/files/{file_id}", "delete", client.delete(f"/v1/files/{made[0]['id']}").json())


def test_batch_bodies_in_every_status_match_the_current_spec(api: tuple[ServerProcess, httpx.Client]) -> None:
    process, client = api
    uploaded = upload(client, "batch", "b.jsonl", json.dumps(LINE).encode() * 1)
    request = {"input_file_id": uploaded["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    made = client.post("/v1/batches", json={**request, "metadata": {"k": "v"}}).json()
    cancelled = client.post("/v1/batches", json=request).json()
    failing = client.post("/v1/batches", json={**request, "input_file_id": "file-missing"}).json()
    bodies = [made, client.post(f"/v1/batches/{cancelled['id']}/cancel").json()]
    for seconds in (5, 1, 5):
        advance(process, seconds)
        bodies += [client.get(f"/v1/batches/{b['id']}").json() for b in (made, cancelled, failing)]
    statuses = {body["status"] for body in bodies}
    assert statuses == {"validating", "in_progress", "finalizing", "completed", "cancelling", "cancelled", "failed"}
    for body in bodies:
        check("/batches/{batch_id}", "get", body)
    check("/batches", "post", made)
    listed = client.get("/v1/batches", params={"limit": 2}).json()
    assert listed["has_more"] is True and len(listed["data"]) == 2
    check("/batches", "get", listed)
    check("/batches/{batch_id}/cancel", "post", bodies[1])


def test_the_check_still_refuses_a_missing_required_field() -> None:
    with pytest.raises(AssertionError, match="'status' is a required property"):
        check(
            "/batches/{batch_id}",
            "get",
            {
                "id": "b",
                "object": "batch",
                "endpoint": "e",
                "input_file_id": "f",
                "completion_window": "24h",
                "status": None,
                "created_at": 1,
            },
        )
