"""Recorded rules on disk: one YAML file per distinct request, in the recording directory.

A file is named by its rule's id, the endpoint and a digest of the rule's match (never request text, so a
name cannot climb out of the directory), and holds one ordinary rule a user may edit. The bytes of a
`files` answer (images, audio) are saved beside it under files/, named by their own digest. The same
request recorded again in one run makes the rule a `sequence` of the answers in order. Files are written
whole (a temporary file renamed over), mode 0600, in directories made 0700; nothing of the request's
headers (keys, organization, project, cookies) is ever written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from mockapi.fixtures import RULE_DIR, Rule
from mockapi.recorded import Recorded

log = logging.getLogger("mockapi")

# Bounds of one recording run: distinct rules, and the answers a repeated request's sequence keeps.
MAX_RECORDED_RULES = 10_000
MAX_SEQUENCE_STEPS = 100
# Recorded rules win over rules of the same priority in other files (the built-in examples among them).
PRIORITY = 1
FILES_DIR = "files"
DIGEST_CHARS = 16
HEADER = (
    "# Recorded by mockapi from the upstream's answer (mockapi serve --record). An ordinary rule: edit it\n"
    "# freely (a `text` match may become `contains`); `mockapi check-fixtures DIR` checks it still loads.\n"
)
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def make_private_dir(path: Path) -> None:
    """The directory, made (with its parents) readable by its owner only when it does not exist yet."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # whatever the umask


def write_private(path: Path, data: bytes) -> None:
    """The file written whole, mode 0600: a temporary file beside it, renamed over it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def rule_id_for(endpoint: str, match: dict[str, Any]) -> str:
    digest = hashlib.sha256(orjson.dumps(match, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)).hexdigest()
    return f"{_UNSAFE.sub('_', endpoint.lower())}-{digest[:DIGEST_CHARS]}"


class RuleWriter:
    """Writes the recorded rules of one run into `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        make_private_dir(directory)
        self._steps: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def write(
        self, endpoint: str, match: dict[str, Any], recorded: Recorded, blobs: list[tuple[bytes, str]]
    ) -> Rule | None:
        """The rule with this answer added (a sequence once the request repeats), written; None when a bound
        is reached or the rule would not load (logged)."""
        rule_id = rule_id_for(endpoint, match)
        with self._lock:
            steps = self._steps.get(rule_id)
            if steps is None:
                if len(self._steps) >= MAX_RECORDED_RULES:
                    log.warning("not recorded: this run has recorded %d rules already", MAX_RECORDED_RULES)
                    return None
                steps = []
            if len(steps) >= MAX_SEQUENCE_STEPS:
                log.warning("%s: not recorded: its sequence has %d answers already", rule_id, MAX_SEQUENCE_STEPS)
                return None
            respond = dict(recorded.respond)
            if blobs:
                respond["files"] = [self._save(data, extension) for data, extension in blobs]
            answers = [*steps, respond]
            rule = {
                "id": rule_id,
                "priority": PRIORITY,
                "match": match,
                "respond": answers[0] if len(answers) == 1 else {"sequence": answers},
            }
            try:
                loaded = Rule.model_validate(rule, context={RULE_DIR: self.directory})
            except ValidationError as exc:
                log.warning("%s: not recorded: the rule would not load: %s", rule_id, exc.errors(include_url=False)[0])
                return None
            text = HEADER + rules_yaml([rule])
            write_private(self.directory / f"{rule_id}.yaml", text.encode("utf-8"))
            self._steps[rule_id] = answers
            log.info("recorded %s (%d answer%s)", rule_id, len(answers), "" if len(answers) == 1 else "s")
            return loaded

    def _save(self, data: bytes, extension: str) -> str:
        """The bytes beside the rules, named by their digest (the same bytes are saved once)."""
        folder = self.directory / FILES_DIR
        make_private_dir(folder)
        name = f"{hashlib.sha256(data).hexdigest()[:24]}{extension}"
        if not (folder / name).is_file():
            write_private(folder / name, data)
        return f"{FILES_DIR}/{name}"


def rules_yaml(rules: list[dict[str, Any]]) -> str:
    """Rules as YAML a person reads and edits (a fixture file's form)."""
    return yaml.dump(rules, Dumper=_RuleDumper, sort_keys=False, allow_unicode=True, width=1 << 20)


class _RuleDumper(yaml.SafeDumper):
    """Rules as a person writes them: multi-line text as a block, vectors of numbers on one line."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    numbers = bool(value) and all(isinstance(item, int | float) and not isinstance(item, bool) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=numbers)


_RuleDumper.add_representer(str, _text)
_RuleDumper.add_representer(list, _list)
