"""Recorded rules on disk (private files with digest names, sequences, files beside the rule), the `files`
answer form they use, and replay's near-miss sentence."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from mockapi.cli import main
from mockapi.fixtures import RULE_DIR, Rule, RuleFileError, load_rule_file, load_rules
from mockapi.matching import Exchange
from mockapi.near_miss import closest
from mockapi.recorded import Recorded
from mockapi.rule_writer import RuleWriter, rule_id_for

MATCH = {"endpoint": "chat.completions", "model": "gpt-4o", "text": "What is the weather in Paris today, please?"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_recorded_rule_is_a_private_file_named_by_digest_that_loads(tmp_path: Path) -> None:
    directory = tmp_path / "new" / "recorded"
    writer = RuleWriter(directory)
    text = "Line one\nLine two: with a colon\n"
    rule = writer.write("chat.completions", MATCH, Recorded({"content": text}), [])
    assert rule is not None and rule.id == rule_id_for("chat.completions", MATCH)
    (path,) = directory.iterdir()
    assert path.name == f"{rule.id}.yaml" and "Paris" not in path.name
    assert _mode(directory) == 0o700 and _mode(path) == 0o600
    assert "content: |" in path.read_text()  # multi-line text as a block, as a person writes it
    (loaded,) = load_rule_file(path)
    assert loaded.respond.content == text and loaded.match.text == MATCH["text"] and loaded.priority == 1


def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    RuleWriter(tmp_path)
    assert _mode(tmp_path) == 0o755


def test_a_repeated_request_records_a_sequence(tmp_path: Path) -> None:
    writer = RuleWriter(tmp_path)
    error = {"status": 429, "message": "Slow down", "type": "requests", "headers": {"retry-after": "1"}}
    writer.write("chat.completions", MATCH, Recorded({"error": error}), [])
    writer.write("chat.completions", MATCH, Recorded({"content": "Sunny."}), [])
    other = writer.write("chat.completions", {**MATCH, "text": "Other"}, Recorded({"content": "x"}), [])
    rules = {rule.id: rule for rule in load_rules([tmp_path])}
    assert len(rules) == 2 and other is not None and other.id in rules
    respond = rules[rule_id_for("chat.completions", MATCH)].respond
    first, second = respond.step(1), respond.step(2)
    assert first.error is not None and first.error.status == 429 and first.error.headers == {"retry-after": "1"}
    assert second.content == "Sunny." and respond.step(3).content == "Sunny."


def test_file_answers_are_saved_beside_the_rule_once(tmp_path: Path) -> None:
    writer = RuleWriter(tmp_path)
    png = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10
    match = {"endpoint": "images.generations", "model": "dall-e-2", "text": "a cat"}
    rule = writer.write("images.generations", match, Recorded({"files": []}), [(png, ".png"), (png, ".png")])
    assert rule is not None and rule.respond.files is not None
    (saved,) = (tmp_path / "files").iterdir()
    assert saved.suffix == ".png" and _mode(saved) == 0o600 and _mode(tmp_path / "files") == 0o700
    (loaded,) = load_rules([tmp_path])
    assert loaded.respond.file_bytes(0) == loaded.respond.file_bytes(1) == png
    assert loaded.respond.files == [f"files/{saved.name}", f"files/{saved.name}"]


def test_a_rule_that_would_not_load_is_not_written(tmp_path: Path) -> None:
    writer = RuleWriter(tmp_path)
    assert writer.write("models", {"endpoint": "models"}, Recorded({"content": "x"}), []) is None
    assert list(tmp_path.iterdir()) == []


def _files_rule(files: list[str]) -> dict[str, Any]:
    return {"match": {"endpoint": "images.generations"}, "respond": {"files": files}}


def test_the_files_form_reads_only_inside_the_rule_files_folder(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "secret.png").write_bytes(b"x")
    for name in ("../secret.png", str(tmp_path / "secret.png"), "missing.png"):
        with pytest.raises(ValidationError) as caught:
            Rule.model_validate(_files_rule([name]), context={RULE_DIR: tmp_path / "rules"})
        assert caught.value.errors()[0]["loc"] == ("respond", "files", 0)
    with pytest.raises(ValidationError, match="a rule added at run time cannot give them"):
        Rule.model_validate(_files_rule(["secret.png"]))
    with pytest.raises(ValidationError, match=r"cannot apply to endpoint 'chat\.completions'"):
        rule = {"match": {"endpoint": "chat.completions"}, "respond": {"files": ["secret.png"]}}
        Rule.model_validate(rule, context={RULE_DIR: tmp_path})


def test_check_fixtures_reports_every_broken_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    writer = RuleWriter(tmp_path)
    writer.write("chat.completions", MATCH, Recorded({"content": "fine"}), [])
    (tmp_path / "old.yaml").write_text(yaml.safe_dump([{"id": "a", "respond": {"contents": "x"}}, {"id": "b"}]))
    (tmp_path / "images.yaml").write_text(yaml.safe_dump([_files_rule(["files/gone.png"])]))
    assert main(["check-fixtures", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "old.yaml: rule 0 (a): field 'respond.contents'" in err
    assert "images.yaml: rule 0: field 'respond.files.0'" in err and "2 rule problems found" in err
    with pytest.raises(RuleFileError, match=r"images\.yaml"):
        load_rules([tmp_path])
    for name in ("old.yaml", "images.yaml"):
        (tmp_path / name).unlink()
    assert main(["check-fixtures", str(tmp_path)]) == 0 and capsys.readouterr().out.startswith("ok: 1 rule in")


# Replay's near miss.


def _rule(rule_id: str, match: dict[str, Any]) -> Rule:
    return Rule.model_validate({"id": rule_id, "match": match})


def _request(text: str | None, model: str = "gpt-4o", body: dict[str, Any] | None = None) -> Exchange:
    return Exchange("chat.completions", "POST", "/v1/chat/completions", body or {}, {}, model, text)


def test_the_near_miss_names_the_closest_rule_and_where_the_text_differs() -> None:
    rules = [
        _rule("other-endpoint", {"endpoint": "completions", "model": "gpt-4o", "text": MATCH["text"]}),
        _rule("other-model", {**MATCH, "model": "gpt-4o-mini"}),
        _rule("recorded", MATCH),
    ]
    message = closest(rules, _request("What is the weather in Lyon today, please?"))
    assert message.startswith("Closest rule: 'recorded': same endpoint and model, text differs at character 24")
    assert "(the rule has '... the weather in Paris today, ple...', the request '... the weather in Lyon" in message


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (_request("What is the weather"), "text stops after character 19, where the rule's goes on: ' in Paris"),
        (_request(MATCH["text"] + " Now."), "text goes on past the rule's end (character 43): ' Now.'"),
        (_request(None), "the request has no text"),
        (_request(MATCH["text"], "gpt-4"), "same endpoint, model differs (the rule has 'gpt-4o', the request 'gpt-4')"),
    ],
)
def test_the_near_miss_says_what_differed(request_: Exchange, expected: str) -> None:
    assert expected in closest([_rule("recorded", MATCH)], request_)


def test_the_near_miss_walks_into_the_body() -> None:
    rule = _rule("r", {**MATCH, "body": {"temperature": 0.2, "messages": [{"role": "user", "content": "Hi"}]}})
    cooler = _request(MATCH["text"], body={"temperature": 0.7, "messages": [{"role": "user", "content": "Hi"}]})
    assert "body.temperature differs (the rule has 0.2, the request 0.7)" in closest([rule], cooler)
    longer = _request(MATCH["text"], body={"temperature": 0.2, "messages": [{"role": "user", "content": "Ho"}]})
    assert "body.messages[0].content differs at character 2" in closest([rule], longer)
    assert "body.temperature is missing from the request" in closest([rule], _request(MATCH["text"]))


def test_without_a_rule_for_the_endpoint_the_near_miss_says_so() -> None:
    rules = [_rule("e", {"endpoint": "embeddings"})]
    assert closest(rules, _request("x")) == "No rule answers endpoint 'chat.completions' at all."
    assert closest([], _request("x")) == "No rule answers endpoint 'chat.completions' at all."
