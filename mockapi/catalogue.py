"""The models catalogue: which models exist, what kind each is, their limits and what they accept.

Loaded from `models.yaml` in each fixtures directory, then from any extra files; later ones add entries or
replace those of the same id or pattern. A name resolves to the entry of that id, else to the most specific
family whose pattern matches it (the longest literal prefix, then the most literal characters, then the
later entry), else it is the real API's 404 `model_not_found`.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from mockapi import errors
from mockapi.caches import BoundedCache, kept_bytes
from mockapi.catalogue_schema import CatalogueFile, ModelEntry, ModelKind
from mockapi.seeding import Seeding

__all__ = ["CATALOGUE_FILES", "Catalogue", "CatalogueFile", "ModelEntry", "ModelKind"]

CATALOGUE_FILES = ("models.yaml", "models.yml", "models.json")

# Names resolved through a pattern are kept, as clients repeat them; any name can be sent, so a bound.
RESOLVED_NAMES = 256
_WILDCARDS = re.compile(r"[*?\[]")
# How errors found across files (an `extends` that names no entry) are titled.
TITLE = "models catalogue"


class _Family:
    def __init__(self, entry: ModelEntry, order: int) -> None:
        assert entry.pattern is not None
        self.entry = entry
        self.regex = re.compile(fnmatch.translate(entry.pattern))
        literal = _WILDCARDS.split(entry.pattern, maxsplit=1)[0]
        literals = len(re.sub(r"\[[^\]]*\]?|[*?]", "", entry.pattern))
        self.specificity = (len(literal), literals, order)


class Catalogue:
    def __init__(self, entries: Iterable[ModelEntry], seeding: Seeding) -> None:
        by_key: dict[str, ModelEntry] = {}
        for entry in entries:
            previous = by_key.get(entry.key)
            if previous is not None and entry.extends == entry.key:
                entry = _override(previous, entry)
            # A replaced entry keeps its place in the list.
            by_key[entry.key] = entry
        resolved = _resolve_extends(by_key)
        self._exact = {entry.id: entry for entry in resolved.values() if entry.pattern is None}
        families = [_Family(entry, order) for order, entry in enumerate(resolved.values()) if entry.pattern]
        self._families = sorted(families, key=lambda family: family.specificity, reverse=True)
        self._resolved = BoundedCache(RESOLVED_NAMES, RESOLVED_NAMES)
        self._lock = threading.Lock()
        # The public objects are built and serialised once: listing models is the hottest read-only route.
        objects = {mid: _model_object(entry, seeding) for mid, entry in self._exact.items()}
        self._objects = {mid: orjson.Fragment(kept_bytes(orjson.dumps(obj))) for mid, obj in objects.items()}
        self._list_body = orjson.Fragment(kept_bytes(orjson.dumps({"object": "list", "data": list(objects.values())})))

    @classmethod
    def load(cls, directories: Iterable[Path], seeding: Seeding, extra_files: Iterable[Path] = ()) -> Catalogue:
        """The catalogue files of each directory in order, then the extra files (e.g. `--models FILE`)."""
        paths = [directory / name for directory in directories for name in CATALOGUE_FILES]
        entries: list[ModelEntry] = []
        for path in [*(path for path in paths if path.is_file()), *extra_files]:
            parsed = read_catalogue_file(path)
            entries.extend([*parsed.models, *parsed.families])
        return cls(entries, seeding)

    def __contains__(self, model_id: str) -> bool:
        return self.find(model_id) is not None

    def find(self, model_id: str) -> ModelEntry | None:
        """The entry for this name (a family's entry with `id` set to the name), or None."""
        entry = self._exact.get(model_id)
        if entry is not None:
            return entry
        with self._lock:
            cached: ModelEntry | None = self._resolved.get(model_id)
        if cached is not None:
            return cached
        family = next((f for f in self._families if f.regex.fullmatch(model_id)), None)
        if family is None:
            return None
        entry = family.entry.model_copy(update={"id": model_id})
        with self._lock:
            self._resolved.put(model_id, entry, 1)
        return entry

    def get(self, model_id: str) -> ModelEntry:
        """The entry, or the real API's 404 `model_not_found`."""
        entry = self.find(model_id)
        if entry is None:
            raise errors.model_not_found(model_id)
        return entry

    def listed(self) -> list[ModelEntry]:
        """The models /v1/models lists, in order (families are not listed)."""
        return list(self._exact.values())

    def object(self, model_id: str) -> orjson.Fragment:
        """The model object, already serialised (orjson embeds a Fragment as is)."""
        entry = self.get(model_id)
        listed = self._objects.get(model_id)
        if listed is not None:
            return listed
        return orjson.Fragment(orjson.dumps(_current_object(entry)))

    def list_body(self, owned: Sequence[Mapping[str, Any]] = ()) -> orjson.Fragment:
        """The list, with the caller's own models (fine-tuned ones) after the catalogue's."""
        if not owned:
            return self._list_body
        return orjson.Fragment(orjson.dumps({"object": "list", "data": [*self._objects.values(), *owned]}))


# libyaml's parser when PyYAML was built with it (its wheels are): the catalogue parses ten times faster,
# which is most of a cold start's file reading.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def data_of(path: Path, text: str) -> Any:
    """A fixture file's data: JSON for `.json`, else YAML (safe)."""
    return json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_YAML_LOADER)


def read_catalogue_file(path: Path) -> CatalogueFile:
    """One models file, validated; a problem is a ValidationError titled with the file, located at the entry
    (`models[3] (gpt-5)`) and its field."""
    try:
        data = data_of(path, path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise _error(str(path), (), f"cannot be read: {exc}", None) from exc
    try:
        return CatalogueFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ValidationError.from_exception_data(str(path), [_located(data, e) for e in exc.errors()]) from None


def _located(data: Any, error: Any) -> InitErrorDetails:
    """A pydantic error whose location names the entry by its id or pattern."""
    loc = tuple(error["loc"])
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, Mapping):
        section = data.get(loc[0])
        item = section[loc[1]] if isinstance(section, list) and loc[1] < len(section) else None
        name = (item.get("id") or item.get("pattern")) if isinstance(item, Mapping) else None
        loc = (f"{loc[0]}[{loc[1]}]" + (f" ({name})" if name else ""), *loc[2:])
    details: InitErrorDetails = {"type": error["type"], "loc": loc, "input": error["input"]}
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


def _error(title: str, loc: tuple[str | int, ...], message: str, value: Any) -> ValidationError:
    problem = PydanticCustomError("value_error", "{reason}", {"reason": message})
    return ValidationError.from_exception_data(title, [{"type": problem, "loc": loc, "input": value}])


def _resolve_extends(by_key: dict[str, ModelEntry]) -> dict[str, ModelEntry]:
    """Every entry with what it extends filled in (an entry's own fields win, nested ones field by field)."""
    done: dict[str, ModelEntry] = {}

    def resolve(key: str, chain: tuple[str, ...]) -> ModelEntry:
        if key in done:
            return done[key]
        entry = by_key[key]
        if entry.extends is not None:
            if entry.extends in chain or entry.extends == key:
                cycle = " -> ".join((*chain, key, entry.extends))
                raise _error(TITLE, (key, "extends"), f"entries extend each other: {cycle}", entry.extends)
            if entry.extends not in by_key:
                raise _error(TITLE, (key, "extends"), f"no entry has id or pattern {entry.extends!r}", entry.extends)
            base = resolve(entry.extends, (*chain, key)).model_dump(exclude={"id", "pattern", "extends"})
            entry = _merge(key, base, entry.model_dump(exclude_unset=True, exclude={"extends"}))
        done[key] = entry
        return entry

    return {key: resolve(key, ()) for key in by_key}


def _override(previous: ModelEntry, entry: ModelEntry) -> ModelEntry:
    """An entry that extends its own id or pattern changes the one it replaces (which may extend another)."""
    own = entry.model_dump(exclude_unset=True, exclude={"extends"})
    return _merge(entry.key, previous.model_dump(exclude_unset=True), own)


# Replaced whole, never field by field: a tiles rule and a patches rule have different fields.
_REPLACED_WHOLE = frozenset({"image_tokens"})


def _merge(key: str, base: dict[str, Any], own: dict[str, Any]) -> ModelEntry:
    merged = dict(base)
    for name, value in own.items():
        below = base.get(name)
        if isinstance(below, dict) and isinstance(value, dict) and name not in _REPLACED_WHOLE:
            value = {**below, **value}
        merged[name] = value
    try:
        return ModelEntry.model_validate(merged)
    except ValidationError as exc:
        located = [{**error, "loc": (key, *error["loc"])} for error in exc.errors()]
        raise ValidationError.from_exception_data(TITLE, [_located(None, e) for e in located]) from None


def _current_object(entry: ModelEntry) -> dict[str, Any]:
    """Today's model shape."""
    return {"id": entry.id, "object": "model", "created": entry.created, "owned_by": entry.owned_by}


def _model_object(entry: ModelEntry, seeding: Seeding) -> dict[str, Any]:
    """Today's shape, or the 2023 reference's with its permission object."""
    if not entry.permission:
        return _current_object(entry)
    rng = seeding.rng_for("models", entry.id)
    return {
        "id": entry.id,
        "object": "model",
        "created": entry.created,
        "owned_by": entry.owned_by,
        "permission": [
            {
                "id": seeding.answer_id("modelperm-", rng, 24),
                "object": "model_permission",
                "created": entry.created,
                "allow_create_engine": False,
                "allow_sampling": True,
                "allow_logprobs": True,
                "allow_search_indices": entry.kind == "embedding",
                "allow_view": True,
                "allow_fine_tuning": False,
                "organization": "*",
                "group": None,
                "is_blocking": False,
            }
        ],
        "root": entry.id,
        "parent": None,
    }
