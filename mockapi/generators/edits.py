"""Edits: the input revised per choice, as an edit model would answer."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from mockapi import tokens
from mockapi.generators.drafting import Source, faker_sentences, is_greedy
from mockapi.schemas.edits import CreateEditRequest

if TYPE_CHECKING:  # Faker loads with the first answer that needs it, not at start-up
    from faker import Faker


def edited(text: str, faker: Faker, rng: random.Random) -> str:
    """A plausible revision: the input tidied (first letter capitalised, spaces collapsed) and carried
    on by a sentence or two; an empty input is written from scratch. Edit models end with a newline."""
    tidy = " ".join(text.split())
    if not tidy:
        return faker_sentences(faker, rng, 1, 3) + "\n"
    tidy = tidy[0].upper() + tidy[1:]
    return f"{tidy} {faker_sentences(faker, rng, 1, 2)}\n"


def edit(request: CreateEditRequest, answer: Source) -> dict[str, Any]:
    source = request.input or ""
    texts = []
    greedy = is_greedy(request.temperature, request.top_p)
    for index in range(request.n or 1):
        rng = answer.rng(0 if greedy else index)
        texts.append(answer.content if answer.content is not None else edited(source, answer.seeding.faker(rng), rng))
    prompt = tokens.count(source) + tokens.count(request.instruction)
    generated = sum(tokens.count(text) for text in texts)
    return {
        "object": "edit",
        "created": answer.now(),
        "choices": [{"text": text, "index": index} for index, text in enumerate(texts)],
        "usage": {"prompt_tokens": prompt, "completion_tokens": generated, "total_tokens": prompt + generated},
    }
