"""The control API under /__mockapi, and /health, in the fuzz.

The control routes go to a server of their own, started with --control-token, so the rules they add never
answer the /v1 fuzz. Without the token every control route is a 401 in OpenAI's shape; with it, a rule body
valid or not is a 201 or a 400, and the other control routes answer without a 5xx.
"""

from __future__ import annotations

import json
from typing import get_args

import httpx
from hypothesis import strategies as st

from mockapi.fixtures import NAMED_ERRORS
from mockapi.matching import Endpoint
from tests.hardening.routes import AUTH_HEADERS, FuzzRoute, Sent
from tests.hardening.strategies import JSON_VALUES, TEXT, Strategy, requests, weighted
from tests.support import error_of

CONTROL_TOKEN = "fuzz-control-token-7c1f"
WITH_TOKEN = {"Authorization": f"Bearer {CONTROL_TOKEN}"}

RULE_IDS = st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True) | TEXT
# An id in a URL path: one segment, never empty (`/__mockapi/rules/` is another route, which redirects).
PATH_IDS = st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True) | st.from_regex(r"[\w-][\w.~-]{0,29}", fullmatch=True)
CONTROL_REQUESTS = [
    ("POST", "/__mockapi/rules"),
    ("GET", "/__mockapi/rules"),
    ("DELETE", "/__mockapi/rules/{}"),
    ("DELETE", "/__mockapi/rules"),
    ("POST", "/__mockapi/reload"),
    ("GET", "/__mockapi/requests"),
    ("DELETE", "/__mockapi/requests"),
    ("POST", "/__mockapi/reset"),
]

# Rules: every key of the schema, with values right and wrong.


def _nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


# Bodies a rule answers or matches: any JSON, and JSON nested deeper than it can be sent back.
RULE_BODIES = weighted((2, JSON_VALUES), (1, st.just(_nested(63))), (1, st.just(_nested(300))))
HEADER_NAMES = st.sampled_from(["x-a", "retry-after", "X-Tenant", "bad name:", "", "x\r\ny"]) | TEXT
HEADER_VALUES = st.one_of(
    st.sampled_from(["1", "acme", "b\r\nx-injected: 1", "☃", "nul\x00", "", "é\tok"]),
    st.integers(-5, 100),
    st.booleans(),
    st.floats(-10, 10),
    TEXT,
)
HEADERS = st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=2)
PATTERN_KEYS = {
    "text": TEXT,
    "contains": TEXT,
    "regex": st.sampled_from([r"^a", r"weather in \w+", "(", "[a-", "a{2,1}"]) | TEXT,
}
MATCH = st.fixed_dictionaries(
    {},
    optional={
        "endpoint": st.sampled_from([*get_args(Endpoint), "chat.completion", "Models"]),
        "path": st.sampled_from(["/v1/models", "/v1/chat/completions"]) | TEXT,
        "method": st.sampled_from(["GET", "post", "Delete", "FETCH"]),
        "model": TEXT,
        **PATTERN_KEYS,
        "system": st.fixed_dictionaries({}, optional=PATTERN_KEYS),
        "headers": HEADERS,
        "body": st.dictionaries(TEXT, RULE_BODIES, max_size=2),
    },
)
ERROR = st.sampled_from([*NAMED_ERRORS, "teapot"]) | st.fixed_dictionaries(
    {},
    optional={
        "status": st.integers(300, 700),
        "type": TEXT,
        "message": TEXT,
        "param": TEXT | st.none(),
        "code": TEXT | st.none(),
        "headers": HEADERS,
    },
)
FORMS: Strategy = st.one_of(
    st.just({}),
    st.builds(lambda text: {"content": text}, TEXT),
    st.builds(
        lambda body, status: {"body": body, **status},
        JSON_VALUES,
        st.just({}) | st.builds(lambda s: {"status": s}, st.integers(100, 700)),
    ),
    st.builds(lambda error: {"error": error}, ERROR),
    st.builds(lambda vector: {"embedding": vector}, st.lists(st.floats(-2, 2), max_size=4)),
    st.builds(lambda text: {"transcript": text}, TEXT),
    st.builds(lambda status: {"status": status}, st.integers(100, 700)),
)
TIMING = st.fixed_dictionaries(
    {},
    optional={
        "headers": HEADERS,
        "delay_ms": st.integers(-10, 700_000) | st.floats(0, 50),
        "jitter_ms": st.integers(-10, 700_000),
        "ttft_ms": st.integers(-10, 700_000),
        "tokens_per_second": st.floats(-1, 100),
        "disconnect_after_chunks": st.integers(-1, 10),
        "malformed_json": st.booleans(),
        "empty_response": st.booleans(),
        "chaos": st.fixed_dictionaries({"rate": st.floats(-0.5, 1.5)}, optional={"error": ERROR}),
    },
)
RESPOND = st.one_of(
    st.builds(lambda form, timing: {**form, **timing}, FORMS, TIMING),
    st.builds(lambda steps, timing: {"sequence": steps, **timing}, st.lists(FORMS, max_size=3), TIMING),
)
RULE = st.fixed_dictionaries(
    {},
    optional={
        "id": RULE_IDS,
        "priority": st.integers(-5, 5),
        "times": st.integers(-1, 5),
        "rpm": st.integers(-1, 10),
        "tpm": st.integers(-1, 1000),
        "match": MATCH,
        "respond": RESPOND,
    },
)

# Rules meant to be accepted (a form may still not fit the endpoint drawn), then any of the above.
GOOD_HEADERS = st.dictionaries(
    st.sampled_from(["x-tenant", "Retry-After", "x-a"]), st.sampled_from(["acme", "0", "é"]) | st.integers(0, 9)
)
GOOD_FORMS: Strategy = st.one_of(
    st.just({}),
    st.builds(lambda text: {"content": text}, TEXT),
    st.builds(lambda body, status: {"body": body, "status": status}, RULE_BODIES, st.integers(200, 599)),
    st.builds(lambda error: {"error": error}, st.sampled_from(list(NAMED_ERRORS))),
    st.builds(lambda status, text: {"error": {"status": status, "message": text}}, st.integers(400, 599), TEXT),
    st.builds(lambda vector: {"embedding": vector}, st.lists(st.floats(-2, 2), min_size=1, max_size=4)),
    st.builds(lambda text: {"transcript": text}, TEXT),
)
GOOD_RULE = st.fixed_dictionaries(
    {},
    optional={
        "id": st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True),
        "priority": st.integers(-5, 5),
        "times": st.integers(1, 5),
        "rpm": st.integers(1, 10),
        "match": st.fixed_dictionaries(
            {},
            optional={
                "endpoint": st.sampled_from(get_args(Endpoint)),
                "method": st.sampled_from(["GET", "post"]),
                "contains": TEXT,
                "regex": st.sampled_from([r"^a", r"weather in \w+"]),
                "system": st.fixed_dictionaries({"contains": TEXT}),
                "headers": GOOD_HEADERS,
                "body": st.dictionaries(TEXT, RULE_BODIES, max_size=2),
            },
        ),
        "respond": st.builds(
            lambda form, timing: {**form, **timing},
            GOOD_FORMS,
            st.fixed_dictionaries(
                {},
                optional={
                    "headers": GOOD_HEADERS,
                    "delay_ms": st.integers(0, 600_000),
                    "tokens_per_second": st.floats(0.1, 100),
                    "disconnect_after_chunks": st.integers(0, 5),
                    "chaos": st.fixed_dictionaries({"rate": st.floats(0, 1)}),
                },
            ),
        ),
    },
)

# Authorization headers that are not the token: none, another scheme, another token, the token cut.
NOT_THE_TOKEN: Strategy = st.one_of(
    st.just({}),
    st.sampled_from(
        [
            {"Authorization": CONTROL_TOKEN},
            {"Authorization": f"Basic {CONTROL_TOKEN}"},
            {"Authorization": f"Bearer {CONTROL_TOKEN[:-1]}"},
            {"Authorization": f"Bearer {CONTROL_TOKEN}x"},
            {"Authorization": "Bearer"},
        ]
    ),
    # Printable ASCII, no spaces at the ends (the client would refuse to send those).
    st.from_regex(r"[!-~]([ -~]{0,38}[!-~])?", fullmatch=True)
    .filter(lambda token: token != CONTROL_TOKEN)
    .map(lambda token: {"Authorization": f"Bearer {token}"}),
)


def _control_request(method: str, path: str, rule_id: str, headers: dict[str, str], body: object) -> Sent:
    sent: Sent = {"method": method, "url": path.format(rule_id), "headers": headers}
    if method == "POST":
        sent["content"] = json.dumps(body).encode()
        sent["headers"] = {**headers, "Content-Type": "application/json"}
    return sent


REFUSED: Strategy = st.builds(
    lambda where, rule_id, headers, body: _control_request(*where, rule_id, headers, body),
    st.sampled_from(CONTROL_REQUESTS),
    PATH_IDS,
    NOT_THE_TOKEN,
    RULE,
)
RULES: Strategy = st.builds(
    lambda body: _control_request("POST", "/__mockapi/rules", "", WITH_TOKEN, body),
    requests(weighted((2, GOOD_RULE), (1, RULE))),
)
OTHER: Strategy = st.one_of(
    st.builds(
        lambda where, rule_id: _control_request(*where, rule_id, WITH_TOKEN, None),
        st.sampled_from([where for where in CONTROL_REQUESTS if where[1] != "/__mockapi/rules" or where[0] != "POST"]),
        PATH_IDS,
    ),
    st.builds(
        lambda params: {"method": "GET", "url": "/__mockapi/requests", "headers": WITH_TOKEN, "params": params},
        st.fixed_dictionaries(
            {},
            optional={"path": TEXT, "session": TEXT, "since_id": st.integers(-5, 50).map(str) | TEXT},
        ),
    ),
)


def _always_401(sent: Sent, response: httpx.Response) -> None:
    assert response.status_code == 401, f"{sent['method']} {sent['url']} without the token: {response.text[:200]}"
    assert error_of(response)["code"] == "invalid_control_token"


def _added_or_refused(sent: Sent, response: httpx.Response) -> None:
    assert response.status_code in (201, 400), f"{response.status_code} {response.text[:300]}"


def _added(sent: Sent, response: httpx.Response) -> None:
    """A rule added is one the control API can list back (so also one a matching request can be sent)."""
    body = response.json()
    assert set(body) == {"id"} and isinstance(body["id"], str) and body["id"]
    listing = httpx.get(str(response.request.url), headers=WITH_TOKEN, timeout=30)
    assert listing.status_code == 200, listing.text[:300]
    assert body["id"] in [rule["id"] for rule in listing.json()["data"]]


def _control_answer(sent: Sent, response: httpx.Response) -> None:
    assert response.status_code in (200, 400, 404), f"{response.status_code} {response.text[:300]}"


def _control_ok(sent: Sent, response: httpx.Response) -> None:
    body = response.json()
    assert isinstance(body, dict)
    if sent["method"] == "GET":
        assert body["object"] == "list" and isinstance(body["data"], list)


def _health(sent: Sent, response: httpx.Response) -> None:
    assert response.json() == {"status": "ok"}


HEALTH = weighted(
    (3, st.builds(lambda headers: {"method": "GET", "url": "/health", "headers": headers}, AUTH_HEADERS)),
    (
        1,
        st.builds(
            lambda query: {"method": "GET", "url": "/health", "params": query}, st.dictionaries(TEXT, TEXT, max_size=2)
        ),
    ),
)

CONTROL_ROUTES: list[FuzzRoute] = [
    FuzzRoute("health", HEALTH, _health),
    FuzzRoute("control.refused", REFUSED, _always_401, _always_401, server="control", answers_ok=False),
    FuzzRoute("control.rules", RULES, _added, _added_or_refused, server="control"),
    FuzzRoute("control.other", OTHER, _control_ok, _control_answer, server="control"),
]
