"""Preflight: check that a server answers the bench workloads with OpenAI shapes.

A server that skips work (no auth check, a short embedding, fewer stream
events) would look fast for the wrong reason; this makes that visible.

    python bench/shapes.py --port N   ->  JSON {"problems": [...], "info": {...}}
"""

from __future__ import annotations

import argparse
import http.client
import json

AUTH = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}
CHAT = {
    "model": "gpt-3.5-turbo",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Hello, how are you today?"}],
}
EMBED = {
    "model": "text-embedding-ada-002",
    "encoding_format": "float",
    "input": "The food was delicious and the waiter was friendly.",
}


class Checker:
    def __init__(self, port: int) -> None:
        self.port = port
        self.problems: list[str] = []
        self.info: dict = {}

    def expect(self, ok: bool, what: str) -> bool:
        if not ok:
            self.problems.append(what)
        return ok

    def request(self, method: str, path: str, body=None, headers=AUTH):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, json.dumps(body) if body else None, headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("content-type", ""), resp.read()
        finally:
            conn.close()

    def get_json(self, name: str, method: str, path: str, body=None):
        """Parsed JSON body of a 200 answer, else None (with a problem noted)."""
        status, _, raw = self.request(method, path, body)
        if not self.expect(status == 200, f"{name}: HTTP {status}"):
            return None
        try:
            return json.loads(raw)
        except ValueError:
            self.expect(False, f"{name}: body is not JSON")
            return None

    def check_auth(self) -> None:
        status, _, _ = self.request("GET", "/v1/models", headers={})
        self.expect(status == 401, f"models without Authorization: HTTP {status}, want 401")

    def check_models(self) -> None:
        body = self.get_json("models", "GET", "/v1/models")
        if body is None:
            return
        data = body.get("data") or []
        self.expect(body.get("object") == "list", "models: object != list")
        self.info["models"] = len(data)
        self.expect(len(data) > 0, "models: empty data")
        # Today's models are listed in today's shape; the 2023 ones keep their permission block.
        for model in data:
            keys = {"id", "object", "created", "owned_by"} | ({"root", "parent"} if "permission" in model else set())
            if not self.expect(keys <= model.keys(), f"models: {model.get('id')} lacks {keys - model.keys()}"):
                return
            perms = model.get("permission", [{"object": "model_permission"}])
            if not self.expect(
                isinstance(perms, list) and perms and perms[0].get("object") == "model_permission",
                f"models: {model['id']} permission shape",
            ):
                return
        self.expect(any("permission" in model for model in data), "models: no 2023 model with its permission")

    def check_chat(self) -> None:
        body = self.get_json("chat", "POST", "/v1/chat/completions", CHAT)
        if body is None:
            return
        self.expect(str(body.get("id", "")).startswith("chatcmpl-"), "chat: id prefix")
        self.expect(body.get("object") == "chat.completion", "chat: object")
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        self.expect(
            message.get("role") == "assistant" and isinstance(message.get("content"), str), "chat: choices[0].message"
        )
        self.expect("finish_reason" in choice and "index" in choice, "chat: choices[0] keys")
        usage = body.get("usage") or {}
        self.expect({"prompt_tokens", "completion_tokens", "total_tokens"} <= usage.keys(), "chat: usage keys")

    def check_stream(self) -> None:
        status, ctype, raw = self.request("POST", "/v1/chat/completions", {**CHAT, "stream": True})
        if not self.expect(status == 200, f"stream: HTTP {status}"):
            return
        self.expect(ctype.startswith("text/event-stream"), f"stream: content-type {ctype!r}")
        events = [line[len(b"data: ") :] for line in raw.split(b"\n\n") if line.startswith(b"data: ")]
        if not self.expect(events and events[-1] == b"[DONE]", "stream: no final data: [DONE]"):
            return
        try:
            chunks = [json.loads(e) for e in events[:-1]]
        except ValueError:
            self.expect(False, "stream: an event is not JSON")
            return
        if not self.expect(len(chunks) >= 2, "stream: fewer than 2 chunks"):
            return
        self.expect(
            all(c.get("object") == "chat.completion.chunk" for c in chunks), "stream: object != chat.completion.chunk"
        )
        deltas = [c["choices"][0] for c in chunks]
        self.expect(deltas[0]["delta"].get("role") == "assistant", "stream: first delta role")
        self.expect(
            deltas[-1]["delta"] == {} and deltas[-1].get("finish_reason") in ("stop", "length"),
            "stream: last chunk is not an empty delta with finish_reason stop or length",
        )
        self.info["stream_events"] = len(events)
        self.info["stream_content_chunks"] = sum("content" in d["delta"] for d in deltas)

    def check_embeddings(self) -> None:
        body = self.get_json("embeddings", "POST", "/v1/embeddings", EMBED)
        if body is None:
            return
        self.expect(body.get("object") == "list", "embeddings: object")
        item = (body.get("data") or [{}])[0]
        vector = item.get("embedding") or []
        self.info["embedding_dim"] = len(vector)
        self.expect(item.get("object") == "embedding" and item.get("index") == 0, "embeddings: data[0] keys")
        self.expect(
            len(vector) == 1536 and all(isinstance(x, float) for x in vector),
            f"embeddings: want 1536 floats, got {len(vector)}",
        )
        self.expect({"prompt_tokens", "total_tokens"} <= (body.get("usage") or {}).keys(), "embeddings: usage keys")

    def run(self) -> dict:
        for check in (self.check_auth, self.check_models, self.check_chat, self.check_stream, self.check_embeddings):
            try:
                check()
            except (OSError, http.client.HTTPException, KeyError, IndexError, TypeError, AttributeError) as exc:
                self.problems.append(f"{check.__name__}: {type(exc).__name__}: {exc}")
        return {"problems": self.problems, "info": self.info}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    print(json.dumps(Checker(parser.parse_args().port).run()))


if __name__ == "__main__":
    main()
