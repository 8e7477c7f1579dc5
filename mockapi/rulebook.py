"""The rules in force: those of the fixture files plus those added at run time, the one each request
matches, and how often each was used (per session, for `times` budgets and `sequence` steps)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from mockapi.fixtures import Rule
from mockapi.matching import Exchange

__all__ = ["MAX_RUNTIME_RULES", "MAX_SESSIONS", "Hit", "RuleBook"]

# Bounds: rules added at run time, and sessions whose counters are kept (least recently used leave first).
MAX_RUNTIME_RULES = 10_000
MAX_SESSIONS = 1_024
MAX_SESSION_NAME = 200


@dataclass(frozen=True)
class Hit:
    """A matching rule and which use of it this request is (1-based, counted per session)."""

    rule: Rule
    use: int

    @property
    def rule_id(self) -> str:
        return self.rule.id or ""


class RuleBook:
    """Rules from files plus rules added at run time, with per-session `times` budgets and sequence counters.

    Rules are indexed by endpoint once per change, so a request for an endpoint no rule names costs one
    dict lookup. Counters live per session in a bounded LRU.
    """

    def __init__(self, file_rules: Sequence[Rule]) -> None:
        self._lock = threading.Lock()
        self._file_rules = list(file_rules)
        self._runtime: dict[str, Rule] = {}
        self._added = 0
        self._sessions: OrderedDict[str, dict[str, int]] = OrderedDict()
        self._hits: dict[str, int] = {}  # requests each rule answered, all sessions (one key per rule)
        self._by_endpoint: dict[str, list[Rule]] = {}
        self._any_endpoint: list[Rule] = []
        self._reindex()

    # Changes.

    def _reindex(self) -> None:
        # Stable sort: equal priorities keep load order, runtime rules after file rules.
        ordered = sorted([*self._file_rules, *self._runtime.values()], key=lambda rule: -rule.priority)
        named = {rule.match.endpoint for rule in ordered if rule.match.endpoint is not None}
        self._any_endpoint = [rule for rule in ordered if rule.match.endpoint is None]
        self._by_endpoint = {
            endpoint: [rule for rule in ordered if rule.match.endpoint in (None, endpoint)] for endpoint in named
        }

    def add(self, rule: Rule) -> Rule:
        """Add a runtime rule (one with the same id is replaced); answers the rule with its id."""
        with self._lock:
            if rule.id is None:
                self._added += 1
                rule = rule.model_copy(update={"id": f"rule-{self._added}"})
            self.check_addable(rule)
            assert rule.id is not None
            self._runtime[rule.id] = rule
            self._forget(rule.id)
            self._reindex()
            return rule

    def check_addable(self, rule: Rule) -> None:
        """A ValueError for a runtime rule that would shadow a file rule, or one past the bound."""
        if any(existing.id == rule.id for existing in self._file_rules):
            raise ValueError(f"rule id {rule.id!r} is used by a fixture file rule")
        if rule.id not in self._runtime and len(self._runtime) >= MAX_RUNTIME_RULES:
            raise ValueError(f"at most {MAX_RUNTIME_RULES} runtime rules; delete some first")

    def delete(self, rule_id: str) -> bool:
        with self._lock:
            if self._runtime.pop(rule_id, None) is None:
                return False
            self._forget(rule_id)
            self._reindex()
            return True

    def clear_runtime(self) -> int:
        with self._lock:
            count = len(self._runtime)
            self._runtime.clear()
            self._sessions.clear()
            self._hits.clear()
            self._reindex()
            return count

    def replace_file_rules(self, rules: Sequence[Rule]) -> None:
        with self._lock:
            self._file_rules = list(rules)
            self._sessions.clear()
            self._hits.clear()
            self._reindex()

    def put_recorded(self, rule: Rule) -> None:
        """A rule just recorded joins the file rules (replacing one of its id), every counter kept."""
        with self._lock:
            self._file_rules = [existing for existing in self._file_rules if existing.id != rule.id]
            self._file_rules.append(rule)
            self._reindex()

    def reset(self) -> None:
        """No runtime rules, every budget and sequence back to the start, generated ids from rule-1 again."""
        self.clear_runtime()
        self._added = 0

    def _forget(self, rule_id: str) -> None:
        self._hits.pop(rule_id, None)
        for counts in self._sessions.values():
            counts.pop(rule_id, None)

    # Reads.

    def rules(self) -> list[tuple[str, Rule]]:
        """Every rule with its source ("file" or "runtime"), in load order."""
        return [("file", rule) for rule in self._file_rules] + [("runtime", rule) for rule in self._runtime.values()]

    def match(self, exchange: Exchange, session: str = "") -> Hit | None:
        """The winning rule for this request, counting one use of it against its `times` budget."""
        candidates = self._by_endpoint.get(exchange.endpoint, self._any_endpoint)
        if not candidates:
            return None
        for rule in candidates:
            if not rule.match.matches_exchange(exchange):
                continue
            rule_id = rule.id or ""
            with self._lock:
                counts = self._counts(session)
                uses = counts.get(rule_id, 0)
                if rule.times is not None and uses >= rule.times:
                    continue
                counts[rule_id] = uses + 1
                self._hits[rule_id] = self._hits.get(rule_id, 0) + 1
            return Hit(rule, uses + 1)
        return None

    def _counts(self, session: str) -> dict[str, int]:
        session = session[:MAX_SESSION_NAME]
        counts = self._sessions.get(session)
        if counts is None:
            counts = self._sessions[session] = {}
            if len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(session)
        return counts

    def hits(self, rule_id: str) -> int:
        """Requests the rule answered since it was added or the rules were last reset, in every session."""
        return self._hits.get(rule_id, 0)

    def uses(self, rule_id: str, session: str = "") -> int:
        counts = self._sessions.get(session[:MAX_SESSION_NAME], {})
        return counts.get(rule_id, 0)
