"""The hosted tools of the Responses API (web_search, file_search, code_interpreter): when the model uses one,
the output item of its call, and the text and annotations of the message that answers with what it found.

When: a tool_choice that forces the hosted tool, or (under auto/required) a last user message that names
its subject: the web ("search", "latest", "news", "online", ...), files ("file", "document", "uploaded",
...), or a computation ("calculate", "python", an arithmetic expression); file_search also answers any
other question that no function tool's subject matches. Never right after a function's result (the model
answers that), never under tool_choice none.
What, deterministically from the conversation:
- web_search: a `search` action for the question, a short answer citing one source (a url_citation over
  the sentence it supports) on example.com, the domain reserved for documentation;
- file_search: the queries; the answer quotes the best chunk the vector stores returned and cites its file
  (file_citation), or says nothing matched;
- code_interpreter: Python that prints the expression asked for (evaluated exactly, + - * / ** and
  parentheses over numbers), or a summary of the text, and its logs.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockapi.conversation import Conversation
from mockapi.generators.hints import significant
from mockapi.generators.tool_calls import matching_tools

HOSTED_TYPES = {
    "web_search": "web_search",
    "web_search_2025_08_26": "web_search",
    "web_search_preview": "web_search",
    "web_search_preview_2025_03_11": "web_search",
    "file_search": "file_search",
    "code_interpreter": "code_interpreter",
}
_SUBJECTS = {
    "web_search": re.compile(
        r"\b(search|web|internet|online|latest|news|today'?s|this week|look up|google|headlines?)\b", re.I
    ),
    "file_search": re.compile(r"\b(files?|documents?|docs|uploaded|knowledge base|vector store|manual|pdf)\b", re.I),
    "code_interpreter": re.compile(
        r"\b(calculate|compute|python|run code|execute|evaluate|plot)\b|\d\s*(\*\*|[-+*/^])\s*\(?\d", re.I
    ),
}
_EXPRESSION = re.compile(r"[\d(][\d\s.+\-*/()^]*[\d)]")
_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
MAX_EXPONENT = 64
# Words that ask for a search rather than say what it is about.
_SEARCH_TEXT = "search web internet online latest new news today look google headline find recent"
_SEARCH_WORDS = frozenset(_SEARCH_TEXT.split())
QUOTE_CHARS = 400


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One chunk a vector store search found."""

    file_id: str
    filename: str
    score: float
    text: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HostedTurn:
    """A hosted tool's call item, and what the message then says with its annotations."""

    item: dict[str, Any]
    text: str
    annotations: tuple[dict[str, Any], ...] = ()


def hosted_tool(
    conversation: Conversation, tools: Sequence[Mapping[str, Any]], tool_choice: Any
) -> Mapping[str, Any] | None:
    """The hosted tool the model uses this turn (its definition), or None. `tool_choice` is the request's:
    the conversation model reads a choice left out as `none` when no function is offered."""
    offered = [tool for tool in tools if tool.get("type") in HOSTED_TYPES]
    choice = conversation.tool_choice
    if not offered or tool_choice == "none" or conversation.last_is_tool_result():
        return None
    if choice.mode == "builtin":
        wanted = HOSTED_TYPES.get(choice.name or "")
        return next((tool for tool in offered if HOSTED_TYPES[tool["type"]] == wanted), None)
    if choice.mode == "function":
        return None
    text = conversation.last_user_text()
    for tool in offered:
        if _SUBJECTS[HOSTED_TYPES[tool["type"]]].search(text):
            return tool
    # The files are searched for any question no function answers better.
    searching = next((tool for tool in offered if tool["type"] == "file_search"), None)
    if searching is not None and text.strip() and not matching_tools(conversation):
        return searching
    if tool_choice == "required" and not conversation.offered():
        return offered[0]
    return None


def query_of(conversation: Conversation) -> str:
    """What the model searches for: the question, without its trailing punctuation."""
    text = " ".join(conversation.last_user_text().split())
    return text[:200].rstrip("?!. ") or "overview"


def web_search(conversation: Conversation, item_id: str, sources: bool) -> HostedTurn:
    query = query_of(conversation)
    subject = [word for word in significant(query) if word not in _SEARCH_WORDS][:4]
    topic = " ".join(subject) or "the topic"
    slug = "-".join(subject) or "overview"
    url = f"https://www.example.com/articles/{slug}"
    title = f"{topic.title()} - Example Reference"
    action: dict[str, Any] = {"type": "search", "query": query, "queries": [query]}
    if sources:
        action["sources"] = [{"type": "url", "url": url}]
    item = {"id": item_id, "type": "web_search_call", "status": "completed", "action": action}
    claim = f"Recent coverage of {topic} summarises the main points and how they developed."
    text = f"Here is what I found about {topic}. {claim} ([example.com]({url}))"
    start = text.index(claim)
    citation = {"type": "url_citation", "url": url, "title": title, "start_index": start, "end_index": len(text)}
    return HostedTurn(item, text, (citation,))


def file_search(
    conversation: Conversation, item_id: str, hits: Sequence[SearchHit], with_results: bool, queries: Sequence[str]
) -> HostedTurn:
    query = query_of(conversation)
    results = None
    if with_results:
        results = [
            {"file_id": h.file_id, "filename": h.filename, "score": h.score, "text": h.text, "attributes": h.attributes}
            for h in hits
        ]
    item = {
        "id": item_id,
        "type": "file_search_call",
        "status": "completed",
        "queries": list(queries) or [query],
        "results": results,
    }
    if not hits:
        return HostedTurn(item, f"I could not find anything about {query} in the files provided.")
    best = hits[0]
    quote = " ".join(best.text.split())[:QUOTE_CHARS]
    text = f'According to {best.filename}: "{quote}"'
    cited = list(dict.fromkeys((hit.file_id, hit.filename) for hit in hits[:3]))
    annotations = tuple(
        {"type": "file_citation", "file_id": file_id, "filename": filename, "index": len(text)}
        for file_id, filename in cited
    )
    return HostedTurn(item, text, annotations)


def code_interpreter(conversation: Conversation, item_id: str, container: str, with_outputs: bool) -> HostedTurn:
    text = conversation.last_user_text()
    found = _arithmetic(text)
    if found is not None:
        expression, value = found
        code, logs = f"result = {expression}\nprint(result)", f"{value}\n"
        answer = f"The result of {expression} is {value}."
    else:
        words = len(text.split())
        code, logs = f"text = {text[:QUOTE_CHARS]!r}\nprint(len(text.split()))", f"{words}\n"
        answer = f"I ran the code: the text has {words} words."
    item = {
        "id": item_id,
        "type": "code_interpreter_call",
        "status": "completed",
        "container_id": container,
        "code": code,
        "outputs": [{"type": "logs", "logs": logs}] if with_outputs else None,
    }
    return HostedTurn(item, answer)


def container_id(tool: Mapping[str, Any], new_id: Callable[[str], str]) -> str:
    """The container named by the tool, or a new one (`container: {type: auto}`)."""
    given = tool.get("container")
    return given if isinstance(given, str) else new_id("cntr_")


def _arithmetic(text: str) -> tuple[str, int | float] | None:
    """The first arithmetic expression of the text and its exact value, or None."""
    for match in _EXPRESSION.finditer(text):
        expression = " ".join(match.group(0).replace("^", "**").split())
        if not re.search(r"\d\s*(\*\*|[-+*/])\s*\(?\s*\d", expression):
            continue
        try:
            value = _evaluate(ast.parse(expression, mode="eval").body)
        except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return expression, value
    return None


def _evaluate(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise ValueError("exponent too large")
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    raise ValueError("not arithmetic")
