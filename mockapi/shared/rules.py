"""The rule book of processes that share their state: the rules added at run time live in the board's map,
and `times` budgets, sequence steps and hit counts in its counters, so every process matches the same rules
and counts each use once, exactly (an increment past a budget is taken back, never granted).

A process keeps its own index of the rules, rebuilt from the board when the board's version moves (the
state checks it once per request: `SharedState.sync`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson

from mockapi.fixtures import Rule
from mockapi.matching import Exchange
from mockapi.rulebook import MAX_RUNTIME_RULES, MAX_SESSION_NAME, MAX_SESSIONS, Hit, RuleBook
from mockapi.shared import Board

RULES = "rules"  # the map of runtime rules: id -> {"rule": ..., "instance": n}
META = "meta"  # counters of the whole state: its version, rule ids given, counter epochs
USES = "uses"
HITS = "hits"
# Counters kept: every session's uses of the rules it matched, and every rule's hits.
MAX_USE_COUNTERS = MAX_SESSIONS * 64
MAX_HIT_COUNTERS = MAX_RUNTIME_RULES * 2


class SharedRuleBook(RuleBook):
    def __init__(self, file_rules: Sequence[Rule], board: Board, load_file_rules: Callable[[], list[Rule]]) -> None:
        self._board = board
        self._load_file_rules = load_file_rules
        # The rule id -> instance seen; a rule added again is another instance, its counts from nothing.
        self._instances: dict[str, int] = {}
        self._epoch = board.count(META, "counters-epoch")
        self._file_generation = board.count(META, "file-rules")
        super().__init__(file_rules)
        self.refresh()

    # Changes: written to the board, then the version moves so every process refreshes.

    def _changed(self) -> None:
        self._board.incr(META, "version")
        self.refresh()

    def add(self, rule: Rule) -> Rule:
        if rule.id is None:
            rule = rule.model_copy(update={"id": f"rule-{self._board.incr(META, 'rules-added')}"})
        assert rule.id is not None
        self.check_addable(rule)
        instance = self._board.incr(META, "rule-instances")
        self._board.map_put(RULES, rule.id, orjson.dumps({"rule": rule.public(), "instance": instance}))
        self._changed()
        return rule

    def delete(self, rule_id: str) -> bool:
        deleted = self._board.map_delete(RULES, rule_id)
        if deleted:
            self._changed()
        return deleted

    def clear_runtime(self) -> int:
        count = self._board.map_clear(RULES)
        self._new_epoch()
        self._changed()
        return count

    def replace_file_rules(self, rules: Sequence[Rule]) -> None:
        """Rules re-read from the files: every process reads them again, every counter starts again."""
        super().replace_file_rules(rules)
        self._file_generation = self._board.incr(META, "file-rules")
        self._new_epoch()
        self._changed()

    def put_recorded(self, rule: Rule) -> None:
        raise NotImplementedError("recording needs a single process (settings refuse it with shared state)")

    def reset(self) -> None:
        self.clear_runtime()
        self._board.drop(META, "rules-added")

    def _new_epoch(self) -> None:
        self._epoch = self._board.incr(META, "counters-epoch")
        self._board.drop(USES)
        self._board.drop(HITS)

    def refresh(self) -> None:
        """The runtime rules (and, if they were reloaded, the file rules) as the board holds them now."""
        generation = self._board.count(META, "file-rules")
        if generation != self._file_generation:
            self._file_generation = generation
            self._file_rules = list(self._load_file_rules())
        self._epoch = self._board.count(META, "counters-epoch")
        runtime: dict[str, Rule] = {}
        instances: dict[str, int] = {}
        for rule_id, data in self._board.map_items(RULES):
            kept = orjson.loads(data)
            runtime[rule_id] = Rule.model_validate(kept["rule"])
            instances[rule_id] = int(kept["instance"])
        with self._lock:
            self._runtime, self._instances = runtime, instances
            self._reindex()

    # Counting.

    def _key(self, rule_id: str) -> str:
        return f"{self._epoch}\0{rule_id}\0{self._instances.get(rule_id, 0)}"

    def match(self, exchange: Exchange, session: str = "") -> Hit | None:
        candidates = self._by_endpoint.get(exchange.endpoint, self._any_endpoint)
        for rule in candidates:
            if not rule.match.matches_exchange(exchange):
                continue
            key = self._key(rule.id or "")
            use_key = f"{session[:MAX_SESSION_NAME]}\0{key}"
            use = self._board.incr(USES, use_key, cap=MAX_USE_COUNTERS)
            if rule.times is not None and use > rule.times:
                self._board.incr(USES, use_key, -1, cap=MAX_USE_COUNTERS)  # spent: taken back
                continue
            self._board.incr(HITS, key, cap=MAX_HIT_COUNTERS)
            return Hit(rule, use)
        return None

    def hits(self, rule_id: str) -> int:
        return self._board.count(HITS, self._key(rule_id))

    def uses(self, rule_id: str, session: str = "") -> int:
        return self._board.count(USES, f"{session[:MAX_SESSION_NAME]}\0{self._key(rule_id)}")
