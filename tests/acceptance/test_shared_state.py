"""Processes that share their state: two workers (`--workers 2`, SQLite in their shared directory) or two
replicas (`--state-url redis://...` and a shared `--data-dir`). Requests alternate between the processes
(each on a new connection, so a worker's turn is the kernel's choice), and every answer must be the one a
single process would give: rules, `times` budgets and sequences, the journal, rate limits, the clock,
stored objects and reset."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import orjson
import pytest
import redis

from tests.support import API_KEY, ServerProcess, error_of

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say something."}]}
FIXED_TIME = 1_700_000_000


@dataclass
class Cluster:
    """The processes' base URLs; `url(i)` takes turns between them."""

    urls: list[str]
    kind: str

    def url(self, turn: int) -> str:
        return self.urls[turn % len(self.urls)]

    def sdk(self, turn: int) -> openai.OpenAI:
        headers = {"Connection": "close"}
        return openai.OpenAI(base_url=self.url(turn) + "/v1", api_key=API_KEY, max_retries=0, default_headers=headers)

    def post(self, turn: int, path: str, body: object, **headers: str) -> httpx.Response:
        sent = {"Authorization": f"Bearer {API_KEY}", "Connection": "close", **headers}
        return httpx.post(self.url(turn) + path, json=body, headers=sent, timeout=30)

    def get(self, turn: int, path: str) -> httpx.Response:
        sent = {"Authorization": f"Bearer {API_KEY}", "Connection": "close"}
        return httpx.get(self.url(turn) + path, headers=sent, timeout=30)


StartCluster = Callable[..., Cluster]


@pytest.fixture(params=["workers", "replicas"])
def start_cluster(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess], tmp_path: Path
) -> Iterator[StartCluster]:
    def start(*args: str) -> Cluster:
        if request.param == "workers":
            process = start_server("--workers", "2", *args)
            return Cluster([process.url, process.url], "workers")
        try:
            redis_url = request.getfixturevalue("redis_url")
        except pytest.FixtureLookupError:
            pytest.skip("no Redis server for the replicas")
        with redis.Redis.from_url(redis_url) as fresh:
            fresh.flushdb()  # the server outlives the test; its state must not
        shared = ("--state-url", redis_url, "--data-dir", str(tmp_path / "shared"))
        first = start_server(*shared, *args)
        second = start_server(*shared, *args)
        return Cluster([first.url, second.url], "replicas")

    yield start


def _content(cluster: Cluster, turn: int, **headers: str) -> str:
    reply = cluster.post(turn, "/v1/chat/completions", CHAT, **headers)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["choices"][0]["message"]["content"])


def test_a_rule_added_through_one_process_answers_through_all_within_one_budget(start_cluster: StartCluster) -> None:
    cluster = start_cluster()
    rule = {"id": "three", "times": 3, "match": {"endpoint": "chat.completions"}, "respond": {"content": "ruled"}}
    assert cluster.post(0, "/__mockapi/rules", rule).status_code == 201
    answers = [_content(cluster, turn) for turn in range(1, 13)]
    assert answers[:3] == ["ruled"] * 3
    assert "ruled" not in answers[3:]
    # Budgets are per session: another session has its own three, counted across the processes as well.
    other = [_content(cluster, turn, **{"x-mockapi-session": "other"}) for turn in range(6)]
    assert other == ["ruled"] * 3 + other[3:] and "ruled" not in other[3:]
    listed = {item["id"]: item for item in cluster.get(1, "/__mockapi/rules").json()["data"]}
    assert listed["three"]["hits"] == 6
    assert cluster.post(1, "/__mockapi/rules", {**rule, "respond": {"content": "again"}}).status_code == 201
    # Replaced: the rule added again starts its budget from nothing.
    again = [_content(cluster, turn) for turn in range(4)]
    assert again[:3] == ["again"] * 3 and again[3] != "again"
    deleted = httpx.delete(cluster.url(0) + "/__mockapi/rules/three", headers={"Connection": "close"})
    assert deleted.json() == {"id": "three", "deleted": True}
    assert all(_content(cluster, turn) != "again" for turn in range(4))


def test_sequence_steps_follow_one_count_across_processes(start_cluster: StartCluster) -> None:
    cluster = start_cluster()
    steps = [{"content": "one"}, {"content": "two"}, {"content": "three"}]
    rule = {"id": "steps", "match": {"endpoint": "chat.completions"}, "respond": {"sequence": steps}}
    assert cluster.post(1, "/__mockapi/rules", rule).status_code == 201
    assert [_content(cluster, turn) for turn in range(5)] == ["one", "two", "three", "three", "three"]


def test_the_journal_of_any_process_lists_every_process_requests(start_cluster: StartCluster) -> None:
    cluster = start_cluster()
    for turn in range(30):
        assert cluster.post(turn, "/v1/embeddings", {"model": "text-embedding-3-small", "input": f"n{turn}"}).is_success
    for turn in range(2):
        entries = cluster.get(turn, "/__mockapi/requests").json()["data"]
        assert [entry["body"]["input"] for entry in entries] == [f"n{turn}" for turn in range(30)]
        assert [entry["id"] for entry in entries] == list(range(1, 31))
        assert len({entry["process"] for entry in entries}) == 2  # both processes answered, one journal
    assert httpx.delete(cluster.url(1) + "/__mockapi/requests", headers={"Connection": "close"}).is_success
    assert cluster.get(0, "/__mockapi/requests").json()["data"] == []


def test_rate_limits_count_every_process_requests(start_cluster: StartCluster) -> None:
    cluster = start_cluster("--rpm", "4")
    replies = [cluster.post(turn, "/v1/chat/completions", CHAT) for turn in range(10)]
    assert [reply.status_code for reply in replies] == [200] * 4 + [429] * 6
    assert [reply.headers["x-ratelimit-remaining-requests"] for reply in replies[:4]] == ["3", "2", "1", "0"]
    error = error_of(replies[4])
    assert error["code"] == "rate_limit_exceeded" and "Limit: 4 / min" in str(error["message"])


def test_rate_limits_admit_exactly_the_limit_under_concurrent_requests(start_cluster: StartCluster) -> None:
    cluster = start_cluster("--rpm", "25")
    statuses: list[int] = []

    def send(turn: int) -> None:
        for step in range(10):
            body = {"model": "text-embedding-3-small", "input": "x"}
            statuses.append(cluster.post(turn + step, "/v1/embeddings", body).status_code)

    threads = [threading.Thread(target=send, args=(turn,)) for turn in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [200] * 25 + [429] * 35


def test_the_clock_stored_objects_and_reset_are_the_same_for_every_process(start_cluster: StartCluster) -> None:
    cluster = start_cluster("--fixed-time", str(FIXED_TIME))
    advanced = cluster.post(0, "/__mockapi/clock/advance", {"seconds": 3600}).json()
    assert advanced == {"object": "clock", "now": FIXED_TIME + 3600}
    assert [cluster.get(turn, "/__mockapi/clock").json()["now"] for turn in range(1, 5)] == [FIXED_TIME + 3600] * 4
    uploaded = cluster.sdk(0).files.create(file=("notes.txt", b"shared notes"), purpose="assistants")
    assert uploaded.created_at == FIXED_TIME + 3600
    assert cluster.sdk(1).files.content(uploaded.id).read() == b"shared notes"
    stored = cluster.sdk(1).responses.create(model="gpt-4o-mini", input="Remember this.")
    assert cluster.sdk(0).responses.retrieve(stored.id).output_text == stored.output_text
    rule = {"id": "kept", "match": {"endpoint": "models"}, "respond": {"error": "server_error"}}
    assert cluster.post(0, "/__mockapi/rules", rule).status_code == 201
    assert cluster.post(1, "/__mockapi/reset", None).json() == {"reset": True}
    for turn in range(4):
        assert cluster.get(turn, "/__mockapi/clock").json()["now"] == FIXED_TIME
        assert cluster.get(turn, "/v1/models").status_code == 200  # the rule went with the reset
        assert cluster.get(turn, f"/v1/files/{uploaded.id}").status_code == 404
    journal = cluster.get(0, "/__mockapi/requests").json()["data"]
    assert [entry["path"] for entry in journal] == ["/v1/models", "/v1/files/" + uploaded.id] * 4


def test_the_inspector_feed_of_one_process_shows_another_process_requests(start_cluster: StartCluster) -> None:
    cluster = start_cluster()
    seen: list[dict[str, object]] = []
    with httpx.stream("GET", cluster.url(0) + "/__mockapi/requests/stream", timeout=30) as feed:
        for turn in range(1, 7):
            cluster.post(turn, "/v1/embeddings", {"model": "text-embedding-3-small", "input": f"live {turn}"})
        for line in feed.iter_lines():
            if line.startswith("data: "):
                seen.append(orjson.loads(line[len("data: ") :]))
            if len(seen) == 6:
                break
    assert [entry["body"] for entry in seen] == [
        {"model": "text-embedding-3-small", "input": f"live {turn}"} for turn in range(1, 7)
    ]


def test_a_batch_made_through_one_process_runs_to_its_end_once_whichever_process_is_asked(
    start_cluster: StartCluster,
) -> None:
    cluster = start_cluster("--fixed-time", str(FIXED_TIME))
    lines = [
        {"custom_id": f"line-{index}", "method": "POST", "url": "/v1/chat/completions", "body": CHAT}
        for index in range(3)
    ]
    jsonl = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    uploaded = cluster.sdk(0).files.create(file=("requests.jsonl", jsonl), purpose="batch")
    created = cluster.sdk(0).batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    # Validation (5 s of the clock), a request a second, finalizing (5 s): well past its end.
    assert cluster.post(1, "/__mockapi/clock/advance", {"seconds": 60}).is_success
    done = None
    for turn in range(200):
        done = cluster.sdk(turn).batches.retrieve(created.id)
        if done.status == "completed":
            break
        time.sleep(0.05)
    assert done is not None and done.status == "completed"
    assert done.request_counts is not None and done.request_counts.completed == 3
    assert done.output_file_id is not None
    output = [orjson.loads(line) for line in cluster.sdk(1).files.content(done.output_file_id).text.splitlines()]
    assert sorted(line["custom_id"] for line in output) == ["line-0", "line-1", "line-2"]  # each answered once
