"""The endpoints the API serves, by the name rules match on (`match.endpoint`), with the answer forms a rule
may give each (beyond `body`, `error` and the faults, which apply anywhere).

This table is the one registration of an endpoint: its routes name it (`@router.post(..., endpoint=...)`),
rules are checked against it when they load, and create_app refuses to start when a route names an endpoint
missing here or one listed here has no route (registry.py). The order is the order routes are tried in:
the busiest first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

# `files`: the answer's bytes (an image's PNG) read from files beside the rule file (recorded rules write them).
Form = Literal["content", "embedding", "transcript", "tool_calls", "moderation", "files"]

CONTENT: frozenset[Form] = frozenset({"content"})
# A conversation's answer: text, or the tools the model calls.
TURN: frozenset[Form] = frozenset({"content", "tool_calls"})
NO_FORMS: frozenset[Form] = frozenset()

ENDPOINTS: dict[str, frozenset[Form]] = {
    "chat.completions": TURN,
    "responses": TURN,
    "models": NO_FORMS,
    "embeddings": frozenset({"embedding"}),
    "completions": CONTENT,
    "edits": CONTENT,
    "images.generations": frozenset({"content", "files"}),  # the painting is drawn from the content instead
    "images.edits": frozenset({"content", "files"}),
    "images.variations": frozenset({"files"}),
    "audio.transcriptions": frozenset({"content", "transcript"}),
    "audio.translations": frozenset({"content", "transcript"}),
    "audio.speech": CONTENT,  # the text spoken instead of the input
    "moderations": frozenset({"moderation"}),
    "files": NO_FORMS,
    "conversations": NO_FORMS,
    "fine_tuning.jobs": NO_FORMS,
    "fine-tunes": NO_FORMS,
    "vector_stores": NO_FORMS,
    "vector_stores.files": NO_FORMS,
    "vector_stores.file_batches": NO_FORMS,
    "vector_stores.search": NO_FORMS,  # the text matched is the query (queries joined by spaces)
    "batches": NO_FORMS,
}

NAMES = tuple(ENDPOINTS)

if TYPE_CHECKING:
    Endpoint = str
else:  # a Literal of the names above, so that validation names the allowed values as it does for any Literal
    Endpoint = Literal[NAMES]


def endpoints_taking(form: Form) -> frozenset[str]:
    """The endpoints whose answers a rule's `form` can shape."""
    return frozenset(name for name, forms in ENDPOINTS.items() if form in forms)
