"""Vector store search as the Responses API's file_search calls it: retrieval.search over the server's state."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from mockapi import errors
from mockapi.generators import ranking
from mockapi.generators.embeddings import text_vector
from mockapi.retrieval import Hit, search
from mockapi.settings import Settings
from mockapi.state import AppState
from mockapi.vector_stores import VectorStores

OWNER = "key:test"
START = 1_700_000_000

VOLCANOES = (
    "Volcanoes form where magma from the mantle rises through the crust. When pressure from dissolved gases "
    "builds up, the magma erupts as lava, ash and volcanic bombs. Shield volcanoes such as Mauna Loa have gentle "
    "slopes of basaltic lava, while stratovolcanoes like Mount Fuji are steep cones of layered ash and lava."
)
BREAD = (
    "Baking bread starts with flour, water, salt and yeast. Kneading the dough develops gluten, which traps "
    "the carbon dioxide the yeast makes as it ferments, so the loaf rises. A sourdough starter replaces "
    "commercial yeast with wild yeast and lactic bacteria; the oven's steam gives the crust its shine."
)
CHESS = (
    "Chess openings set up the middlegame. The Sicilian Defence answers 1.e4 with c5, fighting for the centre "
    "asymmetrically; the Queen's Gambit offers a pawn to gain central control. Castling early keeps the king "
    "safe while the rooks connect along the back rank."
)


@pytest.fixture
def state() -> AppState:
    return AppState.build(Settings(fixed_time=START))


def upload(state: AppState, name: str, text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return state.files.add(OWNER, name, "assistants", START, io.BytesIO(data), len(data)).id


def library_of_three(state: AppState) -> tuple[str, dict[str, str]]:
    library = VectorStores(state, OWNER)
    ids = {
        "volcanoes": upload(state, "volcanoes.txt", VOLCANOES),
        "bread": upload(state, "bread.md", BREAD),
        "chess": upload(state, "chess.txt", CHESS),
    }
    store = library.create({"name": "topics"}, [], (800, 400))
    for subject, file_id in ids.items():
        library.attach(store["id"], file_id, (800, 400), {"subject": subject, "pages": len(subject)})
    state.seeding.clock.advance(5)
    return store["id"], ids


def test_the_file_about_the_query_ranks_first(state: AppState) -> None:
    store_id, ids = library_of_three(state)
    for query, subject in (
        ("How does magma erupt from a volcano?", "volcanoes"),
        ("why does sourdough dough rise in the oven", "bread"),
        ("best chess opening against e4", "chess"),
    ):
        hits = search(state, OWNER, [store_id], query)
        assert hits[0].file_id == ids[subject], query
        assert hits[0].score > hits[1].score
        assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
        assert all(0 <= hit.score <= 1 for hit in hits)


def test_a_hit_carries_the_chunk_text_and_the_file_attributes(state: AppState) -> None:
    store_id, ids = library_of_three(state)
    best = search(state, OWNER, [store_id], "gluten in kneaded dough", max_num_results=1)
    assert best == [Hit(ids["bread"], "bread.md", best[0].score, BREAD, {"subject": "bread", "pages": 5}, store_id)]
    assert best[0].as_result()["content"] == [{"type": "text", "text": BREAD}]


def test_filters_select_files_by_attribute(state: AppState) -> None:
    store_id, ids = library_of_three(state)
    only_chess = {"type": "eq", "key": "subject", "value": "chess"}
    assert {hit.file_id for hit in search(state, OWNER, [store_id], "magma", filters=only_chess)} == {ids["chess"]}
    long_names = {"type": "gte", "key": "pages", "value": 6}
    assert {hit.file_id for hit in search(state, OWNER, [store_id], "x", filters=long_names)} == {ids["volcanoes"]}
    either = {
        "type": "or",
        "filters": [
            {"type": "in", "key": "subject", "value": ["bread", "chess"]},
            {"type": "lt", "key": "pages", "value": 0},
        ],
    }
    assert {hit.file_id for hit in search(state, OWNER, [store_id], "x", filters=either)} == {
        ids["bread"],
        ids["chess"],
    }


def test_max_num_results_and_the_score_threshold_cut_the_list(state: AppState) -> None:
    store_id, _ = library_of_three(state)
    assert len(search(state, OWNER, [store_id], "lava", max_num_results=2)) == 2
    everything = search(state, OWNER, [store_id], "lava ash volcano")
    threshold = (everything[0].score + everything[1].score) / 2
    kept = search(state, OWNER, [store_id], "lava ash volcano", ranking_options={"score_threshold": threshold})
    assert kept == everything[:1]


def test_the_none_ranker_scores_by_embedding_similarity_alone(state: AppState) -> None:
    store_id, ids = library_of_three(state)
    query = "volcanic ash"
    hit = search(state, OWNER, [store_id], query, ranking_options={"ranker": "none"})[0]
    size = ranking.EMBEDDING_DIMENSIONS
    expected = float(
        text_vector(state.seeding, ranking.EMBEDDING_MODEL, size, query)
        @ text_vector(state.seeding, ranking.EMBEDDING_MODEL, size, VOLCANOES)
    )
    assert hit.file_id == ids["volcanoes"]
    assert hit.score == pytest.approx(expected, abs=1e-5)


def test_several_queries_keep_each_chunks_best_score(state: AppState) -> None:
    store_id, ids = library_of_three(state)
    hits = search(state, OWNER, [store_id], ["volcano lava", "sourdough yeast"])
    assert {hit.file_id for hit in hits[:2]} == {ids["volcanoes"], ids["bread"]}


def test_files_still_ingesting_are_not_searched(state: AppState) -> None:
    library = VectorStores(state, OWNER)
    store = library.create({}, [upload(state, "volcanoes.txt", VOLCANOES)], (800, 400))
    assert search(state, OWNER, [store["id"]], "lava") == []
    state.seeding.clock.advance(2)
    assert len(search(state, OWNER, [store["id"]], "lava")) == 1


def test_long_files_are_searched_by_chunk(state: AppState) -> None:
    library = VectorStores(state, OWNER)
    text = " ".join([BREAD] * 12 + [VOLCANOES] + [BREAD] * 12)
    store = library.create({}, [upload(state, "long.txt", text)], (200, 50))
    state.seeding.clock.advance(2)
    hits = search(state, OWNER, [store["id"]], "stratovolcanoes Mount Fuji", max_num_results=50)
    assert len(hits) > 10
    assert "Mount Fuji" in hits[0].text
    assert "Mount Fuji" not in hits[-1].text


def test_unknown_stores_and_bad_filters_are_the_api_errors(state: AppState) -> None:
    with pytest.raises(errors.OpenAIError) as missing:
        search(state, OWNER, ["vs_nothing"], "x")
    assert (missing.value.status, missing.value.message) == (404, "No vector store found with id 'vs_nothing'.")
    store_id, _ = library_of_three(state)
    with pytest.raises(errors.OpenAIError) as bad:
        search(state, OWNER, [store_id], "x", filters={"type": "and", "filters": [{"type": "eq", "key": "a"}]})
    assert (bad.value.status, bad.value.param) == (400, "filters.filters[0].value")
    with pytest.raises(errors.OpenAIError) as ranker:
        search(state, OWNER, [store_id], "x", ranking_options={"ranker": "best"})
    assert ranker.value.param == "ranking_options.ranker"


def test_stores_are_their_owners_only(state: AppState) -> None:
    store_id, _ = library_of_three(state)
    with pytest.raises(errors.OpenAIError) as other:
        search(state, "key:someone-else", [store_id], "lava")
    assert other.value.status == 404


def test_chunk_vectors_are_the_embeddings_of_their_text(state: AppState) -> None:
    library = VectorStores(state, OWNER)
    store = library.create({}, [upload(state, "chess.txt", CHESS)], (800, 400))
    chunks = library.chunks.get(OWNER, f"{store['id']}:{library.files_of(store['id'])[0]['id']}")
    assert chunks is not None
    stored = np.frombuffer(base64.b64decode(chunks["vectors"]), dtype="<f4")
    expected = text_vector(state.seeding, "text-embedding-3-large", 256, CHESS)
    assert np.allclose(stored, expected, atol=1e-6)
