"""Reading a fine-tuning file: its format, examples and exact tokens with the base model's tokenizer, and the
first thing wrong with it."""

from __future__ import annotations

from typing import Any

import orjson

from mockapi import accounting
from mockapi.catalogue import Catalogue
from mockapi.generators.training_data import Counters, read_dataset
from mockapi.seeding import Seeding
from mockapi.settings import builtin_fixtures_dir
from mockapi.tokens import tokenizer_for
from mockapi.training_jobs import counters_for

CATALOGUE = Catalogue.load([builtin_fixtures_dir()], Seeding())


def lines(*records: Any) -> list[bytes | None]:
    return [orjson.dumps(record) + b"\n" for record in records]


def chat(user: str, reply: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]}


def counters(model: str) -> Counters:
    entry = CATALOGUE.get(model)
    return counters_for(entry)


def test_chat_examples_count_as_the_chat_prompt_of_their_messages_with_the_model_tokenizer() -> None:
    examples = [chat("What is the capital of France?", "Paris."), chat("And of Italy?", "Rome, of course.")]
    dataset = read_dataset(lines(*examples), counters("gpt-4o-mini"))
    entry = CATALOGUE.get("gpt-4o-mini")
    expected = sum(
        accounting.model_prompt_tokens(entry, accounting.chat_messages(e["messages"])).total for e in examples
    )
    assert (dataset.examples, dataset.format, dataset.problem) == (2, "fine-tune-chat", None)
    assert dataset.tokens == expected
    # o200k_base, not cl100k_base: the base model's own tokenizer.
    o200k = tokenizer_for("o200k_base")
    assert (
        expected
        == sum(3 + o200k.count(m["role"]) + o200k.count(m["content"]) for e in examples for m in e["messages"]) + 6
    )


def test_prompt_completion_examples_count_their_prompt_and_completion() -> None:
    records = [{"prompt": "Translate: cat ->", "completion": " chat\n"}, {"prompt": "dog ->", "completion": " chien\n"}]
    dataset = read_dataset(lines(*records), counters("babbage-002"))
    cl100k = tokenizer_for("cl100k_base")
    assert dataset.format == "prompt-completion"
    assert dataset.tokens == sum(cl100k.count(r["prompt"]) + cl100k.count(r["completion"]) for r in records)
    assert dataset.longest == max(cl100k.count(r["prompt"]) + cl100k.count(r["completion"]) for r in records)


def test_a_preference_pair_counts_both_of_its_sequences() -> None:
    pair = {
        "input": {"messages": [{"role": "user", "content": "Hello there"}]},
        "preferred_output": [{"role": "assistant", "content": "Hi! How can I help?"}],
        "non_preferred_output": [{"role": "assistant", "content": "What."}],
    }
    given = counters("gpt-4o-mini")
    dataset = read_dataset(lines(pair), given)
    prompt = pair["input"]["messages"]  # type: ignore[index]
    assert dataset.format == "preference"
    assert dataset.tokens == given.chat([*prompt, *pair["preferred_output"]]) + given.chat(  # type: ignore[misc]
        [*prompt, *pair["non_preferred_output"]]  # type: ignore[misc]
    )


def test_each_example_is_billed_at_most_the_cap() -> None:
    long = {"prompt": "word " * 300, "completion": " end"}
    dataset = read_dataset(lines(long, long), Counters(lambda _: 0, lambda text: len(text.split()), cap=100))
    assert dataset.tokens == 200
    assert dataset.longest == 301


def test_a_chat_example_without_an_assistant_message_fails_supervised_training_but_not_reinforcement() -> None:
    prompt_only = {"messages": [{"role": "user", "content": "2+2?"}], "reference_answer": "4"}
    supervised = read_dataset(lines(chat("a", "b"), prompt_only), counters("gpt-4o-mini"))
    assert supervised.problem == (
        'Invalid file format. Line 2, key "messages": At least one message must be from the assistant.'
    )
    assert read_dataset(lines(prompt_only), counters("o4-mini"), answers=False).problem is None


def test_problems_name_their_line() -> None:
    given = counters("gpt-4o-mini")
    bad_role = {"messages": [{"role": "robot", "content": "x"}]}
    assert read_dataset(lines(chat("a", "b"), bad_role), given).problem == (
        "Invalid file format. Line 2, key \"messages\", message 0: Unrecognized role: 'robot'."
    )
    assert read_dataset([b"{not json\n"], given).problem == "Invalid file format. Line 1 is not a JSON object."
    mixed = lines(chat("a", "b"), {"prompt": "p", "completion": "c"})
    assert read_dataset(mixed, given).problem == (
        "Invalid file format. Line 2 is in the prompt-completion format, the lines before it in the "
        "fine-tune-chat format."
    )
    assert read_dataset([*lines(chat("a", "b")), b"\n", *lines(chat("c", "d"))], given).problem == (
        "Invalid file format. Line 2 is empty (only the end of the file may be blank)."
    )
    assert read_dataset([None], given).problem == "Invalid file format. Line 1 is longer than 4194304 bytes."


def test_blank_lines_at_the_end_are_not_examples() -> None:
    dataset = read_dataset([*lines(chat("a", "b")), b"\n", b"  \n"], counters("gpt-4o-mini"))
    assert (dataset.examples, dataset.problem) == (1, None)
