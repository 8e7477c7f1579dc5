"""Moderation results: scores from a small lexicon per category, so the same inputs flag the same way every run.

A category's score is a noisy-OR of the weights of the rules its text matches (phrases such as a threat in
the first person, then single words at low weights, so one violent word alone does not flag), over a seeded
base under 0.005: benign text scores near zero, and no text score is ever exactly 0 or 1. A category is flagged
from FLAG_THRESHOLD. Images are scored too: a seeded low score in the categories that apply to images.
text-moderation models answer the eleven of text-moderation-007 (the 2023 seven and four added that year);
omni-moderation models the thirteen, with `category_applied_input_types`. Pure functions of (inputs, family,
seeding); no web framework here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from mockapi.seeding import Seeding

Family = Literal["text-moderation", "omni-moderation"]
InputType = Literal["text", "image"]

DEFAULT_MODEL = "omni-moderation-latest"
FLAG_THRESHOLD = 0.5

# The 2023 reference's seven, then the four text-moderation-007 (what text-moderation-latest and -stable
# answer today) added in 2023: no illicit categories and no applied input types.
TEXT_MODERATION_2023 = (
    "hate",
    "hate/threatening",
    "self-harm",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
TEXT_MODERATION_CATEGORIES = (
    *TEXT_MODERATION_2023,
    "harassment",
    "harassment/threatening",
    "self-harm/intent",
    "self-harm/instructions",
)
# The model text-moderation-latest and -stable answer as.
TEXT_MODERATION_SNAPSHOT = "text-moderation-007"
OMNI_CATEGORIES = (
    "hate",
    "hate/threatening",
    "harassment",
    "harassment/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
# The categories omni-moderation also scores images for (the spec's `category_applied_input_types` enums).
IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)
CATEGORIES: dict[Family, tuple[str, ...]] = {
    "text-moderation": TEXT_MODERATION_CATEGORIES,
    "omni-moderation": OMNI_CATEGORIES,
}

# Seeded base scores: log-uniform between these powers of ten.
_BASE_EXPONENTS = (-6.5, -2.3)

_SUBJECT = r"(?:i|we)(?:'ll| will| shall|'m going to| am going to|'m gonna| am gonna| gonna| want to| wanna)"
_HARM = r"(?:kill|murder|shoot|stab|strangle|hurt|beat up|slaughter|behead|choke)"
_TARGET = r"(?:you|u|him|her|them|everyone|all of you|your (?:family|kids|children))"
_GROUP = (
    r"(?:immigrants|refugees|muslims|jews|christians|hindus|atheists|women|men|gays|lesbians|trans people|"
    r"blacks|whites|asians|latinos|mexicans|arabs|africans|foreigners|disabled people)"
)
_DEHUMANISING = r"(?:vermin|animals|subhuman|parasites|inferior|disgusting|a disease|cockroaches|filth)"
_EXTERMINATE = r"(?:die|be killed|be shot|be exterminated|be wiped out|be hanged|burn)"
_MINOR = r"\b(?:child|children|kid|kids|minor|minors|underage|preteen|\d{1,2}[- ]year[- ]old|schoolgirl|schoolboy)s?\b"

# (pattern, weights by category): phrases first, then words.
_RULES: list[tuple[str, dict[str, float]]] = [
    # Threats against a person.
    (rf"\b{_SUBJECT}\s+{_HARM}\s+{_TARGET}\b", {"violence": 0.98, "harassment/threatening": 0.93, "harassment": 0.86}),
    (rf"\b{_TARGET}\s+(?:will|are going to|is going to)\s+(?:die|pay|bleed)\b", {"violence": 0.8,
     "harassment/threatening": 0.8, "harassment": 0.7}),
    (r"\bi know where you live\b", {"harassment/threatening": 0.85, "harassment": 0.8, "violence": 0.6}),
    # Self-harm.
    (r"\b(?:i|i'm|i am)\s+(?:want|wanna|going|planning|plan|intend|ready|about)\s+(?:to\s+)?"
     r"(?:hurt|kill|harm|cut|starve|end)\s+(?:myself|my life|it all)\b",
     {"self-harm": 0.96, "self-harm/intent": 0.94, "violence": 0.3}),
    (r"\b(?:i want to die|i'm going to commit suicide|i will commit suicide|i don't want to live)\b",
     {"self-harm": 0.93, "self-harm/intent": 0.9}),
    (r"\b(?:how (?:to|do i|can i|should i)|best way to|ways to|easiest way to)\s+"
     r"(?:kill|hurt|harm|cut|starve)\s+(?:myself|yourself|oneself)\b|\bhow to commit suicide\b",
     {"self-harm": 0.92, "self-harm/instructions": 0.92, "self-harm/intent": 0.4}),
    (r"\b(?:kill|hurt|harm)\s+yourself\b", {"harassment": 0.9, "harassment/threatening": 0.6, "self-harm": 0.6,
     "violence": 0.4}),
    (r"\b(?:suicide|suicidal|self[- ]harm|cutting myself|overdose)\b", {"self-harm": 0.45}),
    # Hate.
    (rf"\b(?:all\s+)?{_GROUP}\s+(?:are|is)\s+(?:just\s+)?{_DEHUMANISING}\b", {"hate": 0.93, "harassment": 0.6}),
    (rf"\b(?:all\s+)?{_GROUP}\s+(?:should|must|deserve to|need to)\s+{_EXTERMINATE}\b",
     {"hate": 0.95, "hate/threatening": 0.92, "violence": 0.85, "harassment/threatening": 0.6}),
    (rf"\bi hate (?:all\s+)?{_GROUP}\b", {"hate": 0.82, "harassment": 0.5}),
    # Harassment.
    (r"\byou(?:'re| are)\s+(?:such\s+)?(?:an?\s+)?(?:idiot|stupid|moron|loser|worthless|pathetic|ugly|"
     r"disgusting|failure|waste of space|piece of (?:trash|garbage|shit))\b", {"harassment": 0.84}),
    (r"\b(?:nobody|no one) (?:likes|loves|wants) you\b", {"harassment": 0.72}),
    (r"\b(?:shut up|get lost|go away)\b", {"harassment": 0.2}),
    # Illicit.
    (r"\bhow (?:to|do i|can i|do you)\s+(?:steal|shoplift|hack into|pick a lock|launder money|make meth|"
     r"cook meth|buy drugs|forge|counterfeit|hotwire|break into)\b", {"illicit": 0.93}),
    (r"\bhow (?:to|do i|can i|do you)\s+(?:make|build|assemble)\s+(?:a\s+)?(?:bomb|pipe bomb|explosive|"
     r"molotov|grenade|ghost gun|silencer)\b",
     {"illicit": 0.95, "illicit/violent": 0.95, "violence": 0.7}),
    (r"\b(?:shoplift|shoplifting|launder|counterfeit|meth|cocaine|heroin|stolen)\b", {"illicit": 0.25}),
    # Violence.
    (r"\b(?:dismember(?:ed)?|decapitat(?:ed|ion)|disembowel(?:ed)?|mutilat(?:ed|ion)|gore|gory|"
     r"guts spilled|blood everywhere|skull crushed)\b", {"violence/graphic": 0.85, "violence": 0.75}),
    (r"\b(?:kill|killed|killing|murder|murdered|shoot|shot|stab|stabbed|bomb|attack|assault|beat|torture)\b",
     {"violence": 0.26}),
    # Sexual.
    (r"\b(?:have sex with|had sex with|sleep with me|explicit sex|sexual intercourse|oral sex)\b", {"sexual": 0.85}),
    (r"\b(?:sex|sexual|nude|naked|porn|pornography|erotic|orgasm|horny|nsfw)\b", {"sexual": 0.36}),
]  # fmt: skip
_COMPILED = [(re.compile(pattern), weights) for pattern, weights in _RULES]
_MINOR_PATTERN = re.compile(_MINOR)
# Sexual content about a minor: sexual/minors scores this share of the sexual score.
_MINORS_SHARE = 0.97
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def family(model: str) -> Family:
    """The category set a model answers with: text-moderation-* the 2023 one, anything else omni's."""
    return "text-moderation" if model.startswith("text-moderation") else "omni-moderation"


def moderate(inputs: str | Sequence[Any], model_family: Family, seeding: Seeding) -> list[dict[str, Any]]:
    """One result per string (a string, or a list of them), or one result for a list of `text` and
    `image_url` parts taken together, as the real API answers."""
    if isinstance(inputs, str):
        return [_result([inputs], [], model_family, seeding)]
    parts = [item for item in inputs if isinstance(item, Mapping)]
    if parts and len(parts) == len(inputs):
        texts = [str(part.get("text", "")) for part in parts if part.get("type") == "text"]
        images = [_image_url(part) for part in parts if part.get("type") == "image_url"]
        return [_result(texts, images, model_family, seeding)]
    return [_result([str(item)], [], model_family, seeding) for item in inputs]


def _image_url(part: Mapping[str, Any]) -> str:
    image = part.get("image_url")
    return str(image.get("url", "")) if isinstance(image, Mapping) else str(image)


def text_scores(text: str, seeding: Seeding) -> dict[str, float]:
    """Every omni category's score for `text`."""
    normal = " ".join(text.translate(_QUOTES).lower().split())
    keep = {category: 1 - base for category, base in _bases("text", normal, seeding).items()}
    for pattern, weights in _COMPILED:
        matches = len(pattern.findall(normal))
        for category, weight in weights.items():
            keep[category] *= (1 - weight) ** matches
    scores = {category: 1 - kept for category, kept in keep.items()}
    if _MINOR_PATTERN.search(normal):
        scores["sexual/minors"] = max(scores["sexual/minors"], scores["sexual"] * _MINORS_SHARE)
    return scores


def image_scores(url: str, seeding: Seeding) -> dict[str, float]:
    """The image categories' scores for an image: seeded and low (fixture rules can pin others)."""
    bases = _bases("image", url, seeding)
    return {category: bases[category] for category in OMNI_CATEGORIES if category in IMAGE_CATEGORIES}


def _bases(kind: str, key: str, seeding: Seeding) -> dict[str, float]:
    raw = seeding.random_bytes(f"moderations.{kind}", {"input": key}, 4 * len(OMNI_CATEGORIES))
    low, high = _BASE_EXPONENTS
    return {
        category: 10 ** (low + (high - low) * int.from_bytes(raw[4 * i : 4 * i + 4], "big") / 0xFFFFFFFF)
        for i, category in enumerate(OMNI_CATEGORIES)
    }


def _result(texts: list[str], images: list[str], model_family: Family, seeding: Seeding) -> dict[str, Any]:
    present: list[InputType] = []
    if texts or not images:
        present.append("text")
    if images:
        present.append("image")
    scores = dict.fromkeys(OMNI_CATEGORIES, 0.0)
    if "text" in present:
        scores = text_scores("\n".join(texts), seeding)
    for url in images:
        for category, score in image_scores(url, seeding).items():
            scores[category] = max(scores[category], score)
    names = CATEGORIES[model_family]
    result: dict[str, Any] = {
        "flagged": any(scores[name] >= FLAG_THRESHOLD for name in names),
        "categories": {name: scores[name] >= FLAG_THRESHOLD for name in names},
        "category_scores": {name: scores[name] for name in names},
    }
    if model_family == "omni-moderation":
        result["category_applied_input_types"] = {name: applied_input_types(name, present) for name in names}
    return result


def applied_input_types(category: str, present: Sequence[InputType]) -> list[InputType]:
    """The request's input types a category's score covers: text always, images only where it applies."""
    return [kind for kind in present if kind == "text" or category in IMAGE_CATEGORIES]


def pinned(
    result: dict[str, Any],
    flagged: bool | None,
    categories: Mapping[str, bool],
    scores: Mapping[str, float],
) -> dict[str, Any]:
    """`result` with what a fixture rule pins, among the categories its family has: a pinned score moves its
    category with it, a pinned category moves a score on the other side of the threshold across it, and
    `flagged` is any category unless pinned."""
    names = list(result["categories"])
    new_scores = dict(result["category_scores"])
    new_categories = dict(result["categories"])
    for name in names:
        if name in scores:
            new_scores[name] = scores[name]
            new_categories[name] = scores[name] >= FLAG_THRESHOLD
        if name in categories:
            new_categories[name] = categories[name]
            if name not in scores and (new_scores[name] >= FLAG_THRESHOLD) != categories[name]:
                new_scores[name] = PINNED_FLAGGED if categories[name] else PINNED_CLEAR
    return {
        **result,
        "flagged": any(new_categories.values()) if flagged is None else flagged,
        "categories": new_categories,
        "category_scores": new_scores,
    }


# The scores a category pinned without a score is given, when its own is on the other side.
PINNED_FLAGGED, PINNED_CLEAR = 0.9, 0.01


def model_answered(model: str) -> str:
    """The model a response names: the text-moderation aliases answer as their snapshot."""
    return TEXT_MODERATION_SNAPSHOT if model in ("text-moderation-latest", "text-moderation-stable") else model


def response(response_id: str, model: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": response_id, "model": model, "results": results}
