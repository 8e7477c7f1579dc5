"""The models catalogue: families matched by pattern, extra files that add or override entries, the 2023
entries unchanged, and what each model of today accepts."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from mockapi import catalogue as catalogue_module
from mockapi.catalogue import Catalogue, CatalogueFile, ModelEntry
from mockapi.errors import OpenAIError
from mockapi.seeding import Seeding
from mockapi.settings import builtin_fixtures_dir

# The 2023 models as the catalogue had them before it knew today's: (id, kind, context window, dimensions,
# owned_by, created), in listing order.
MODELS_2023 = [
    ("gpt-3.5-turbo", "chat", 4096, None, "openai", 1677610602),
    ("gpt-3.5-turbo-0301", "chat", 4096, None, "openai", 1677649963),
    ("gpt-3.5-turbo-0613", "chat", 4096, None, "openai", 1686587434),
    ("gpt-3.5-turbo-16k", "chat", 16385, None, "openai-internal", 1683758102),
    ("gpt-3.5-turbo-16k-0613", "chat", 16385, None, "openai", 1685474247),
    ("gpt-4", "chat", 8192, None, "openai", 1687882411),
    ("gpt-4-0314", "chat", 8192, None, "openai", 1687882410),
    ("gpt-4-0613", "chat", 8192, None, "openai", 1686588896),
    ("gpt-4-32k", "chat", 32768, None, "openai", 1687979321),
    ("gpt-4-32k-0314", "chat", 32768, None, "openai", 1687979321),
    ("text-davinci-003", "completion", 4097, None, "openai-internal", 1669599635),
    ("text-davinci-002", "completion", 4097, None, "openai", 1649880484),
    ("text-davinci-001", "completion", 2049, None, "openai", 1649364042),
    ("code-davinci-002", "completion", 8001, None, "openai", 1649880485),
    ("text-curie-001", "completion", 2049, None, "openai", 1649364043),
    ("text-babbage-001", "completion", 2049, None, "openai", 1649364043),
    ("text-ada-001", "completion", 2049, None, "openai", 1649364042),
    ("davinci", "completion", 2049, None, "openai", 1649359874),
    ("curie", "completion", 2049, None, "openai", 1649359874),
    ("babbage", "completion", 2049, None, "openai", 1649358449),
    ("ada", "completion", 2049, None, "openai", 1649357491),
    ("text-davinci-edit-001", "edit", 2049, None, "openai", 1649809179),
    ("code-davinci-edit-001", "edit", 2049, None, "openai", 1649880484),
    ("text-embedding-ada-002", "embedding", 8191, 1536, "openai-internal", 1671217299),
    ("text-similarity-ada-001", "embedding", 2046, 1024, "openai-dev", 1651172505),
    ("text-similarity-babbage-001", "embedding", 2046, 2048, "openai-dev", 1651172505),
    ("text-similarity-curie-001", "embedding", 2046, 4096, "openai-dev", 1651172507),
    ("text-similarity-davinci-001", "embedding", 2046, 12288, "openai-dev", 1651172505),
    ("text-search-ada-doc-001", "embedding", 2046, 1024, "openai-dev", 1651172507),
    ("text-search-ada-query-001", "embedding", 2046, 1024, "openai-dev", 1651172505),
    ("text-search-babbage-doc-001", "embedding", 2046, 2048, "openai-dev", 1651172509),
    ("text-search-babbage-query-001", "embedding", 2046, 2048, "openai-dev", 1651172509),
    ("text-search-curie-doc-001", "embedding", 2046, 4096, "openai-dev", 1651172509),
    ("text-search-curie-query-001", "embedding", 2046, 4096, "openai-dev", 1651172509),
    ("text-search-davinci-doc-001", "embedding", 2046, 12288, "openai-dev", 1651172505),
    ("text-search-davinci-query-001", "embedding", 2046, 12288, "openai-dev", 1651172505),
    ("code-search-ada-code-001", "embedding", 2046, 1024, "openai-dev", 1651172507),
    ("code-search-ada-text-001", "embedding", 2046, 1024, "openai-dev", 1651172507),
    ("code-search-babbage-code-001", "embedding", 2046, 2048, "openai-dev", 1651172507),
    ("code-search-babbage-text-001", "embedding", 2046, 2048, "openai-dev", 1651172507),
    ("whisper-1", "audio", None, None, "openai-internal", 1677532384),
    ("dall-e-2", "image", None, None, "system", 1698798177),
]
# The sha256 of those 42 model objects as /v1/models served them (seed 0), permission lists included.
MODELS_2023_DIGEST = "3eff95e56ca2b02f29fab9e751b3eeb324bd67531314ffe534ae95775c346209"
TEXT_DAVINCI_003 = (
    b'{"id":"text-davinci-003","object":"model","created":1669599635,"owned_by":"openai-internal",'
    b'"permission":[{"id":"modelperm-0XqF807e5i6U253RBsSPEABQ","object":"model_permission","created":1669599635,'
    b'"allow_create_engine":false,"allow_sampling":true,"allow_logprobs":true,"allow_search_indices":false,'
    b'"allow_view":true,"allow_fine_tuning":false,"organization":"*","group":null,"is_blocking":false}],'
    b'"root":"text-davinci-003","parent":null}'
)


@pytest.fixture(scope="module")
def builtin() -> Catalogue:
    return Catalogue.load([builtin_fixtures_dir()], Seeding(0))


def _listed(catalogue: Catalogue) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = orjson.loads(orjson.dumps(catalogue.list_body()))["data"]
    return data


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _catalogue(tmp_path: Path, text: str) -> Catalogue:
    return Catalogue.load([], Seeding(0), [_write(tmp_path / "models.yaml", text)])


# Matching.


def test_an_exact_id_beats_a_pattern(tmp_path: Path) -> None:
    catalogue = _catalogue(
        tmp_path,
        "models:\n  - {id: acme-1, kind: chat, context_window: 100}\n"
        "families:\n  - {pattern: 'acme-*', kind: chat, context_window: 200}\n",
    )
    assert catalogue.get("acme-1").context_window == 100
    assert catalogue.get("acme-1").pattern is None
    assert catalogue.get("acme-2").context_window == 200


def test_the_pattern_with_the_longest_literal_prefix_wins(tmp_path: Path) -> None:
    catalogue = _catalogue(
        tmp_path,
        "families:\n"
        "  - {pattern: 'ab*', kind: chat, context_window: 2}\n"
        "  - {pattern: 'a*', kind: chat, context_window: 1}\n"
        "  - {pattern: 'abc-20??', kind: chat, context_window: 4}\n"
        "  - {pattern: 'abc*', kind: chat, context_window: 3}\n",
    )
    assert [catalogue.get(name).context_window for name in ("ax", "abx", "abc-x", "abc-2024")] == [1, 2, 3, 4]
    assert catalogue.get("abc-2024").pattern == "abc-20??"


def test_between_equally_specific_patterns_the_later_wins(tmp_path: Path) -> None:
    # Both have the literal prefix "a" and two literal characters.
    first = "  - {pattern: 'a?c', kind: chat, context_window: 1}\n"
    second = "  - {pattern: 'a*c', kind: chat, context_window: 2}\n"
    assert _catalogue(tmp_path, "families:\n" + first + second).get("abc").context_window == 2
    assert _catalogue(tmp_path, "families:\n" + second + first).get("abc").context_window == 1


def test_builtin_most_specific_family(builtin: Catalogue) -> None:
    assert builtin.get("gpt-4.1-mini-2025-04-14").pattern == "gpt-4.1-mini*"
    assert builtin.get("gpt-4.1-2025-04-14").pattern == "gpt-4.1*"
    assert builtin.get("o3-mini-2025-01-31").capabilities.vision is False
    assert builtin.get("o3-2025-04-16").capabilities.vision is True
    # Exact ids that also match a pattern keep their own entry.
    assert builtin.get("gpt-4.1-mini").pattern is None
    assert builtin.get("gpt-4o-mini-tts-2025-12-15").kind == "speech"
    assert builtin.get("gpt-4o-mini-transcribe-2025-12-15").kind == "audio"


@pytest.mark.parametrize("name", ["gpt-9", "gpt-5-imaginary", "text-davinci-999", "dall-e-9", "whisper-2", "GPT-4O"])
def test_a_name_no_entry_matches_is_the_real_404(builtin: Catalogue, name: str) -> None:
    assert name not in builtin
    with pytest.raises(OpenAIError) as caught:
        builtin.get(name)
    assert caught.value.status == 404
    assert caught.value.body()["error"] == {
        "message": f"The model '{name}' does not exist",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }
    with pytest.raises(OpenAIError):
        builtin.object(name)


def test_the_agents_sdk_default_resolves_to_the_gpt_5_family(builtin: Catalogue) -> None:
    entry = builtin.get("gpt-5.6-luna")
    assert (entry.id, entry.pattern, entry.kind, entry.tokenizer) == ("gpt-5.6-luna", "gpt-5.*", "chat", "o200k_base")
    assert (entry.context_window, entry.max_output_tokens) == (400000, 128000)
    assert entry.capabilities.tools and entry.capabilities.json_schema and entry.capabilities.verbosity
    assert entry.capabilities.reasoning is not None and "none" in entry.capabilities.reasoning.efforts
    assert entry.capabilities.unsupported_parameters == {"max_tokens": "max_completion_tokens"}
    assert "gpt-5.6-luna" in builtin
    assert orjson.dumps(builtin.object("gpt-5.6-luna")) == (
        b'{"id":"gpt-5.6-luna","object":"model","created":1754425777,"owned_by":"system"}'
    )


def test_a_dated_gpt_4o_snapshot_resolves_to_gpt_4o_with_o200k(builtin: Catalogue) -> None:
    entry = builtin.get("gpt-4o-2024-08-06")
    assert (entry.id, entry.pattern, entry.tokenizer) == ("gpt-4o-2024-08-06", "gpt-4o-20??-??-??", "o200k_base")
    assert entry.capabilities == builtin.get("gpt-4o").capabilities
    assert entry.image_tokens == builtin.get("gpt-4o").image_tokens
    first = builtin.get("gpt-4o-2024-05-13")
    assert (first.max_output_tokens, first.capabilities.json_schema, first.capabilities.tools) == (4096, False, True)


def test_families_are_not_listed(builtin: Catalogue) -> None:
    ids = [model["id"] for model in _listed(builtin)]
    assert ids == [entry.id for entry in builtin.listed()]
    assert not any(set(model_id) & set("*?[") for model_id in ids)
    assert "gpt-4o-2024-08-06" not in ids and "gpt-5.6-luna" not in ids


def test_resolved_names_are_cached_within_a_bound(builtin: Catalogue) -> None:
    for index in range(catalogue_module.RESOLVED_NAMES * 3):
        assert builtin.get(f"gpt-5.{index}").id == f"gpt-5.{index}"
    assert len(builtin._resolved) == catalogue_module.RESOLVED_NAMES
    assert builtin.get("gpt-5.1") is builtin.get("gpt-5.1")


# Extra files.


def test_an_extra_file_adds_and_overrides_entries(tmp_path: Path) -> None:
    extra = _write(
        tmp_path / "mine.yaml",
        "models:\n"
        "  - {id: gpt-4o, extends: gpt-4o, kind: chat, context_window: 64000, capabilities: {logprobs: false}}\n"
        "  - {id: my-reasoner, extends: gpt-5, kind: chat, owned_by: acme, created: 1}\n"
        "  - {id: ada, kind: completion, context_window: 1000}\n"
        "families:\n"
        "  - {pattern: 'acme-*', extends: gpt-4o-mini, kind: chat}\n",
    )
    catalogue = Catalogue.load([builtin_fixtures_dir()], Seeding(0), [extra])
    builtin = Catalogue.load([builtin_fixtures_dir()], Seeding(0))
    gpt_4o = catalogue.get("gpt-4o")
    # Only what the override gives changes; the rest of gpt-4o stays.
    assert gpt_4o.context_window == 64000 and gpt_4o.capabilities.logprobs is False
    assert gpt_4o.capabilities.tools and gpt_4o.tokenizer == "o200k_base" and gpt_4o.max_output_tokens == 16384
    # A snapshot family extending gpt-4o sees the override.
    assert catalogue.get("gpt-4o-2024-11-20").context_window == 64000
    mine = catalogue.get("my-reasoner")
    assert (mine.owned_by, mine.created, mine.capabilities.reasoning) == (
        "acme",
        1,
        builtin.get("gpt-5").capabilities.reasoning,
    )
    # A plain entry replaces the whole entry.
    assert catalogue.get("ada").context_window == 1000 and catalogue.get("ada").created == 1677610602
    assert catalogue.get("acme-large").image_tokens == builtin.get("gpt-4o-mini").image_tokens
    ids = [entry.id for entry in catalogue.listed()]
    assert ids == [entry.id for entry in builtin.listed()] + ["my-reasoner"]


def test_a_later_directory_replaces_models_in_their_place(tmp_path: Path) -> None:
    _write(
        tmp_path / "models.yaml",
        "models:\n  - {id: gpt-4, kind: chat, context_window: 8192, owned_by: mirror, created: 1}\n",
    )
    catalogue = Catalogue.load([builtin_fixtures_dir(), tmp_path], Seeding(0))
    builtin = Catalogue.load([builtin_fixtures_dir()], Seeding(0))
    assert [e.id for e in catalogue.listed()] == [e.id for e in builtin.listed()]
    assert catalogue.get("gpt-4").owned_by == "mirror" and catalogue.get("gpt-4").capabilities.tools is False


# Validation.


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("models:\n  - {id: m, kind: chat, colour: red}\n", "models[0] (m).colour", "Extra inputs are not permitted"),
        ("models:\n  - {id: m, kind: robot}\n", "models[0] (m).kind", "Input should be 'chat'"),
        (
            "models:\n  - {id: m, kind: chat, capabilities: {tools: maybe}}\n",
            "models[0] (m).capabilities.tools",
            "valid boolean",
        ),
        (
            "models:\n  - {id: m, kind: chat, image_tokens: {method: tiles, base: 1}}\n",
            "image_tokens.tiles.per_tile",
            "Field required",
        ),
        ("models:\n  - {id: m, pattern: 'm*', kind: chat}\n", "models[0] (m)", "either `id`"),
        ("models:\n  - {pattern: 'm*', kind: chat}\n", "", "belongs under `families`"),
        ("families:\n  - {id: m, kind: chat}\n", "", "belongs under `models`"),
        (
            "models:\n  - {id: m, kind: chat, capabilities: {reasoning: {efforts: [low], default_effort: high}}}\n",
            "reasoning",
            "not one of",
        ),
        ("models: [1, 2\n", "", "cannot be read"),
        ("widgets: []\n", "widgets", "Extra inputs"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_entry_and_field(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _catalogue(tmp_path, text)
    message = str(caught.value)
    assert str(tmp_path / "models.yaml") in message
    assert where in message and what in message


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("models:\n  - {id: m, extends: nowhere, kind: chat}\n", "no entry has id or pattern 'nowhere'"),
        (
            "models:\n  - {id: a, extends: b, kind: chat}\n  - {id: b, extends: a, kind: chat}\n",
            "entries extend each other: a -> b -> a",
        ),
        ("models:\n  - {id: a, extends: a, kind: chat}\n", "entries extend each other: a -> a"),
    ],
)
def test_extends_must_name_an_entry_without_a_cycle(tmp_path: Path, text: str, what: str) -> None:
    with pytest.raises(ValidationError, match=what) as caught:
        _catalogue(tmp_path, text)
    assert "models catalogue" in str(caught.value)


def test_the_builtin_file_validates_as_a_catalogue_file() -> None:
    import yaml

    parsed = CatalogueFile.model_validate(yaml.safe_load((builtin_fixtures_dir() / "models.yaml").read_text()))
    assert all(entry.id and entry.kind for entry in parsed.models)
    assert all(entry.pattern and entry.kind for entry in parsed.families)


# The 2023 entries, unchanged.


def test_the_2023_entries_are_unchanged(builtin: Catalogue) -> None:
    rows = [
        (e.id, e.kind, e.context_window, e.dimensions, e.owned_by, e.created)
        for e in builtin.listed()
        if e.permission and not e.id.startswith("text-moderation")
    ]
    assert rows == MODELS_2023
    for model_id, *_ in MODELS_2023:
        assert builtin.get(model_id).tokenizer == "cl100k_base"


def test_the_2023_model_objects_are_byte_for_byte_the_same(builtin: Catalogue) -> None:
    old = {row[0] for row in MODELS_2023}
    objects = [model for model in _listed(builtin) if model["id"] in old]
    assert hashlib.sha256(orjson.dumps(objects)).hexdigest() == MODELS_2023_DIGEST
    assert orjson.dumps(builtin.object("text-davinci-003")) == TEXT_DAVINCI_003


def test_the_2023_snapshots_take_no_tools(builtin: Catalogue) -> None:
    for model_id in ("gpt-3.5-turbo-0301", "gpt-4-0314", "gpt-4-32k-0314"):
        assert builtin.get(model_id).capabilities.tools is False
    assert builtin.get("gpt-3.5-turbo").capabilities.tools and builtin.get("gpt-4-0613").capabilities.tools
    assert builtin.get("gpt-4").accounting.function_start == 10


# Today's models.

# id: (kind, tokenizer, context window, max output tokens)
TODAY: dict[str, tuple[str, str, int | None, int | None]] = {
    "gpt-4-turbo": ("chat", "cl100k_base", 128000, 4096),
    "gpt-4o": ("chat", "o200k_base", 128000, 16384),
    "gpt-4o-mini": ("chat", "o200k_base", 128000, 16384),
    "gpt-4.1": ("chat", "o200k_base", 1047576, 32768),
    "gpt-4.1-mini": ("chat", "o200k_base", 1047576, 32768),
    "gpt-4.1-nano": ("chat", "o200k_base", 1047576, 32768),
    "o1": ("chat", "o200k_base", 200000, 100000),
    "o3": ("chat", "o200k_base", 200000, 100000),
    "o3-mini": ("chat", "o200k_base", 200000, 100000),
    "o4-mini": ("chat", "o200k_base", 200000, 100000),
    "gpt-5": ("chat", "o200k_base", 400000, 128000),
    "gpt-5-mini": ("chat", "o200k_base", 400000, 128000),
    "gpt-5-nano": ("chat", "o200k_base", 400000, 128000),
    "gpt-3.5-turbo-instruct": ("completion", "cl100k_base", 4096, 4096),
    "davinci-002": ("completion", "cl100k_base", 16384, 16384),
    "babbage-002": ("completion", "cl100k_base", 16384, 16384),
    "text-embedding-3-small": ("embedding", "cl100k_base", 8191, None),
    "text-embedding-3-large": ("embedding", "cl100k_base", 8191, None),
    "dall-e-3": ("image", "cl100k_base", None, None),
    "gpt-image-1": ("image", "o200k_base", None, None),
    "gpt-image-1-mini": ("image", "o200k_base", None, None),
    "gpt-4o-transcribe": ("audio", "o200k_base", 16000, 2000),
    "gpt-4o-mini-transcribe": ("audio", "o200k_base", 16000, 2000),
    "gpt-4o-transcribe-diarize": ("audio", "o200k_base", 16000, 2000),
    "tts-1": ("speech", "cl100k_base", None, None),
    "tts-1-hd": ("speech", "cl100k_base", None, None),
    "gpt-4o-mini-tts": ("speech", "o200k_base", None, None),
    "omni-moderation-latest": ("moderation", "o200k_base", None, None),
    "omni-moderation-2024-09-26": ("moderation", "o200k_base", None, None),
}


@pytest.mark.parametrize("model_id", sorted(TODAY))
def test_each_model_of_today_is_listed_in_the_current_shape(builtin: Catalogue, model_id: str) -> None:
    entry = builtin.get(model_id)
    assert (entry.kind, entry.tokenizer, entry.context_window, entry.max_output_tokens) == TODAY[model_id]
    assert entry.pattern is None and entry in builtin.listed()
    (listed,) = [model for model in _listed(builtin) if model["id"] == model_id]
    assert listed == {"id": model_id, "object": "model", "created": entry.created, "owned_by": entry.owned_by}


def _chat(builtin: Catalogue, model_id: str) -> ModelEntry:
    entry = builtin.get(model_id)
    assert entry.kind == "chat"
    return entry


@pytest.mark.parametrize("model_id", ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano"])
def test_the_gpt_4o_and_4_1_families_take_everything_but_reasoning(builtin: Catalogue, model_id: str) -> None:
    caps = _chat(builtin, model_id).capabilities
    assert caps.tools and caps.parallel_tool_calls and caps.vision and caps.json_object and caps.json_schema
    assert caps.logprobs and caps.predicted_outputs and caps.streaming
    assert caps.reasoning is None and not caps.unsupported_parameters and not caps.fixed_parameters
    assert not caps.verbosity and not caps.audio and not caps.web_search


@pytest.mark.parametrize("model_id", ["o1", "o3", "o3-mini", "o4-mini"])
def test_the_o_series_reason(builtin: Catalogue, model_id: str) -> None:
    caps = _chat(builtin, model_id).capabilities
    assert caps.reasoning is not None and caps.reasoning.efforts == ("low", "medium", "high")
    assert caps.reasoning.default_effort == "medium"
    assert caps.unsupported_parameters == {"max_tokens": "max_completion_tokens"}
    assert caps.fixed_parameters == {"temperature": 1, "top_p": 1, "presence_penalty": 0, "frequency_penalty": 0}
    assert caps.tools and caps.json_schema and not caps.logprobs and not caps.parallel_tool_calls
    assert caps.vision == (model_id != "o3-mini")


@pytest.mark.parametrize("model_id", ["gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-2025-08-07"])
def test_the_gpt_5_family_reasons_from_minimal(builtin: Catalogue, model_id: str) -> None:
    caps = _chat(builtin, model_id).capabilities
    assert caps.reasoning is not None and caps.reasoning.efforts == ("minimal", "low", "medium", "high")
    assert caps.unsupported_parameters == {"max_tokens": "max_completion_tokens"}
    assert caps.fixed_parameters["temperature"] == 1 and caps.verbosity and caps.parallel_tool_calls
    assert caps.tools and caps.vision and caps.json_schema and not caps.logprobs


def test_gpt_5_chat_latest_does_not_reason(builtin: Catalogue) -> None:
    caps = _chat(builtin, "gpt-5-chat-latest").capabilities
    assert caps.reasoning is None and caps.unsupported_parameters == {} and caps.fixed_parameters == {}


def test_image_token_numbers_per_family(builtin: Catalogue) -> None:
    def rule(model_id: str) -> tuple[Any, ...]:
        found = builtin.get(model_id).image_tokens
        assert found is not None
        return tuple(found.model_dump().values())

    assert rule("gpt-4o") == rule("gpt-4.1") == rule("gpt-4-turbo") == ("tiles", 85, 170)
    assert rule("gpt-4o-mini") == ("tiles", 2833, 5667)
    assert rule("o1") == rule("o3") == ("tiles", 75, 150)
    assert rule("gpt-5") == ("tiles", 70, 140)
    assert rule("gpt-4.1-mini") == rule("gpt-5-mini") == ("patches", 1.62, 1536)
    assert rule("gpt-4.1-nano") == rule("gpt-5-nano") == ("patches", 2.46, 1536)
    assert rule("o4-mini") == ("patches", 1.72, 1536)
    assert builtin.get("o3-mini").image_tokens is None


def test_image_models_accept_their_own_parameters(builtin: Catalogue) -> None:
    dall_e_2, dall_e_3 = builtin.get("dall-e-2").image_generation, builtin.get("dall-e-3").image_generation
    gpt_image, mini = builtin.get("gpt-image-1").image_generation, builtin.get("gpt-image-1-mini").image_generation
    assert dall_e_2 and dall_e_3 and gpt_image and mini
    assert dall_e_2.sizes == ("256x256", "512x512", "1024x1024") and dall_e_2.n_max == 10
    assert dall_e_2.operations == ("generate", "edit", "variation") and dall_e_2.prompt_max_chars == 1000
    assert dall_e_3.sizes == ("1024x1024", "1792x1024", "1024x1792") and dall_e_3.n_max == 1
    assert dall_e_3.qualities == ("standard", "hd") and dall_e_3.styles == ("vivid", "natural")
    assert gpt_image.response_formats == () and gpt_image.output_formats == ("png", "jpeg", "webp")
    assert gpt_image.sizes == ("auto", "1024x1024", "1536x1024", "1024x1536") and gpt_image.prompt_max_chars == 32000
    assert gpt_image.backgrounds == ("auto", "transparent", "opaque") and gpt_image.styles == ()
    assert mini.sizes == gpt_image.sizes and gpt_image.input_fidelity and not mini.input_fidelity


def test_audio_models_accept_their_own_parameters(builtin: Catalogue) -> None:
    tts, steerable = builtin.get("tts-1").speech, builtin.get("gpt-4o-mini-tts").speech
    assert tts and steerable and builtin.get("tts-1-hd").speech == tts
    assert "ballad" not in tts.voices and {"ballad", "verse", "marin", "cedar"} <= set(steerable.voices)
    assert not tts.instructions and steerable.instructions and steerable.stream_formats == ("audio", "sse")
    whisper, transcribe = builtin.get("whisper-1").transcription, builtin.get("gpt-4o-transcribe").transcription
    diarize = builtin.get("gpt-4o-transcribe-diarize").transcription
    assert whisper and transcribe and diarize
    assert "verbose_json" in whisper.response_formats and whisper.translation and whisper.timestamp_granularities
    # The real 400 for another format: "... is not compatible with model 'gpt-4o-transcribe'. Use 'json' or 'text'".
    assert transcribe.response_formats == ("json", "text") and transcribe.logprobs and not transcribe.translation
    assert diarize.response_formats == ("json", "text", "diarized_json") and diarize.diarization and not diarize.prompt
    assert whisper.usage is None and transcribe.usage == "tokens" and diarize.usage == "duration"
    assert not diarize.logprobs and steerable.custom_voices and not tts.custom_voices


def test_moderation_models(builtin: Catalogue) -> None:
    omni, text = builtin.get("omni-moderation-latest").moderation, builtin.get("text-moderation-stable").moderation
    assert omni and omni.image_input and text and not text.image_input
    assert builtin.get("omni-moderation-2024-09-26").moderation == omni
    assert builtin.get("text-moderation-latest").permission  # listed as in 2023
