"""Values a conversation offers for a JSON Schema's properties: places, names, numbers, addresses, dates.

A tool call's arguments and a structured answer read these before drawing seeded values, so that
"What's the weather in Boston?" calls get_weather with {"city": "Boston"}. A candidate is only a
suggestion: the value generator keeps it when it is valid against the property's schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further get gets getting give given had has
have having he her here hers herself him himself his how i if in into is it its itself just let like list make me
more most my myself no nor not now of off on once only or other our ours ourselves out over own please same set she
should show so some such tell than that the their theirs them themselves then there these they this those through
to too under until up use using very want was we were what when where which while who whom why will with would you
your yours yourself yourselves ok okay hi hello hey thanks thank current currently today based return returns
returned value values data info information specified specific provided provide certain one two new
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# Capitalised words that are formats, not places or people ("Reply in JSON").
_NOT_NAMES_TEXT = "json xml yaml csv html markdown sql api pdf url utc gmt iso ai"
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
# Imperatives that open a request, capitalised by their place only ("Describe Ada, ...": the person is Ada).
_VERBS_TEXT = """
add answer ask book calculate call check compare compute convert count create define describe draft explain extract
fetch fill find generate greet introduce invite look lookup name pick plan recommend remind schedule search send
suggest summarise summarize translate write
"""
_VERBS = frozenset(_VERBS_TEXT.split())

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9']*")
_PHRASE = re.compile(r"\b[A-Z][\w'.-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w'.-]*)*(?:,\s*[A-Z]{2}\b)?")
_PLACE_BEFORE = re.compile(r"\b(?:in|at|to|from|near|around|for|of|visit|visiting)\s+$", re.IGNORECASE)
_FROM_BEFORE = re.compile(r"\bfrom\s+$", re.IGNORECASE)
_TO_BEFORE = re.compile(r"\b(?:to|into)\s+$", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\w)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://[^\s'\"<>]+")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

# Property names whose values a conversation's places, people or question fill.
_PLACE_TEXT = "city location place town destination origin address country region where area"
_PERSON_TEXT = "name person author user username recipient contact customer owner assignee who"
_QUERY_TEXT = "query q search question prompt topic keyword keywords term terms text"
PLACE_WORDS = frozenset(_PLACE_TEXT.split())
# A journey's ends: the place after "from" fills `origin`, the one after "to" `destination`.
DEPARTURE_WORDS = frozenset(["origin", "from", "departure", "source", "start"])
ARRIVAL_WORDS = frozenset(["destination", "to", "arrival", "target", "end"])
PERSON_WORDS = frozenset(_PERSON_TEXT.split())
QUERY_WORDS = frozenset(_QUERY_TEXT.split())


def words(text: str) -> list[str]:
    """Lower-case words of a name or a sentence: get_currentWeather -> get, current, weather."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return [w.lower() for w in _WORD.findall(spaced.replace("_", " ").replace("-", " "))]


def stem(word: str) -> str:
    """A plural's singular, roughly (cities -> city, files -> file), so both sides compare alike."""
    word = word.lower().removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def significant(text: str) -> list[str]:
    """The words of `text` that say something (stop words dropped), stemmed, in order."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS and len(w) > 1]


def _clean_phrase(phrase: str) -> str:
    parts = phrase.split()
    while parts and parts[0].lower().strip(",.") in STOP_WORDS | _NOT_NAMES | _VERBS:
        parts.pop(0)
    return " ".join(parts).rstrip(".,")


def _in_a_date(text: str, match: re.Match[str]) -> bool:
    return any(d.start() <= match.start() < d.end() for d in _DATE.finditer(text))


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


@dataclass(frozen=True, slots=True)
class Hints:
    text: str = ""
    # Values by property name, taken first (a caller's own knowledge of what fits).
    values: Mapping[str, Any] = field(default_factory=dict)
    places: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    departures: tuple[str, ...] = ()
    arrivals: tuple[str, ...] = ()
    # (position in the text, number) in order of appearance.
    numbers: tuple[tuple[int, int | float], ...] = ()
    emails: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()

    @classmethod
    def from_text(cls, text: str, values: Mapping[str, Any] | None = None) -> Hints:
        places: list[str] = []
        names: list[str] = []
        departures: list[str] = []
        arrivals: list[str] = []
        for match in _PHRASE.finditer(text):
            phrase = _clean_phrase(match.group())
            if not phrase or phrase.lower() in STOP_WORDS:
                continue
            before = text[: match.start()]
            (places if _PLACE_BEFORE.search(before) else names).append(phrase)
            if _FROM_BEFORE.search(before):
                departures.append(phrase)
            elif _TO_BEFORE.search(before):
                arrivals.append(phrase)
        return cls(
            text=text,
            values=dict(values or {}),
            places=tuple(places or names),
            names=tuple(names or places),
            departures=tuple(departures),
            arrivals=tuple(arrivals),
            numbers=tuple((m.start(), _number(m.group())) for m in _NUMBER.finditer(text) if not _in_a_date(text, m)),
            emails=tuple(_EMAIL.findall(text)),
            urls=tuple(_URL.findall(text)),
            dates=tuple(_DATE.findall(text)),
        )

    def strings(self, prop: str, schema: Mapping[str, Any]) -> list[str]:
        """String candidates for a property, best first."""
        found: list[str] = []
        named = set(words(prop))
        kind = schema.get("format")
        if kind == "email" or "email" in named or "mail" in named:
            found += self.emails
        if kind in ("uri", "url") or named & {"url", "uri", "link", "website", "href"}:
            found += self.urls
        if kind == "date" or "date" in named:
            found += self.dates
        if kind is not None:
            return found
        if named & DEPARTURE_WORDS:
            found += self.departures
        if named & ARRIVAL_WORDS:
            found += self.arrivals
        if named & PLACE_WORDS:
            found += self.places
        if named & PERSON_WORDS:
            found += self.names
        if named & QUERY_WORDS and self.text:
            found.append(" ".join(w for w in words(self.text) if w not in STOP_WORDS)[:200])
        return found

    def numbers_for(self, prop: str) -> list[tuple[int, int | float]]:
        """Numbers of the text, those next to the property's own word first ("3 days" for `days`)."""
        named = {stem(w) for w in words(prop)}

        def near(entry: tuple[int, int | float]) -> bool:
            position = entry[0]
            around = significant(self.text[max(0, position - 24) : position + 24])
            return bool(named.intersection(around))

        return sorted(self.numbers, key=lambda entry: not near(entry))

    def enum_choice(self, options: Sequence[Any]) -> list[Any]:
        """The enum's string values the text mentions, in the order they are mentioned."""
        lowered = self.text.lower()
        hits = []
        for option in options:
            if isinstance(option, str) and option:
                match = re.search(rf"(?<![\w-]){re.escape(option.lower())}(?![\w-])", lowered)
                if match:
                    hits.append((match.start(), option))
        return [option for _, option in sorted(hits, key=lambda hit: hit[0])]
