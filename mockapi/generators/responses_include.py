"""What a response shows of what it keeps: the parts `include` asks for, and only those.

A response is made and stored whole (search results, code outputs, sources, logprobs, encrypted reasoning);
each answer of it, the create call's and every retrieve's, shows what that request's `include` names:
- file_search_call.results: a file search's ranked chunks (else `results: null`);
- web_search_call.action.sources: the sources of a web search's action;
- code_interpreter_call.outputs: the code's logs (else `outputs: null`);
- message.output_text.logprobs: each output_text part's logprobs (else `[]`);
- reasoning.encrypted_content: a reasoning item's encrypted content.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any


def shown(response: Mapping[str, Any], include: Iterable[str] | None) -> dict[str, Any]:
    wanted = frozenset(include or ())
    answer = copy.deepcopy(dict(response))
    for item in answer.get("output") or ():
        kind = item.get("type")
        if kind == "file_search_call" and "file_search_call.results" not in wanted:
            item["results"] = None
        elif kind == "web_search_call" and "web_search_call.action.sources" not in wanted:
            item.get("action", {}).pop("sources", None)
        elif kind == "code_interpreter_call" and "code_interpreter_call.outputs" not in wanted:
            item["outputs"] = None
        elif kind == "reasoning" and "reasoning.encrypted_content" not in wanted:
            item.pop("encrypted_content", None)
        elif kind == "message" and "message.output_text.logprobs" not in wanted:
            for part in item.get("content") or ():
                if part.get("type") == "output_text":
                    part["logprobs"] = []
    return answer
