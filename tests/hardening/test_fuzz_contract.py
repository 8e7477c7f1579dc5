"""Property-based fuzzing of the contract: generated requests, valid and invalid, on every route.

Whatever is sent, the answer is never a 5xx; a 4xx has OpenAI's four-key error shape; a 2xx matches the
route's schema in the 2023 spec. The routes: every /v1 endpoint, the files routes driven by two API keys and
two organizations (another owner's file is a 404 exactly like a missing one), the control API with and
without its token (on a server of its own), /health, and paths that are no route. Deterministic
(derandomized, no example database). The default run sends about 2,600 requests, checked at the end;
`MOCKAPI_FUZZ_EXAMPLES=20000` (say) spreads that many over the routes.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.figures import report
from tests.hardening.routes import FUZZ_ROUTES, FuzzRoute, to_send
from tests.hardening.routes_control import CONTROL_ROUTES
from tests.hardening.routes_files import FILE_ROUTES, seed_pool
from tests.hardening.routes_media import MEDIA_ROUTES
from tests.support import ServerProcess, error_of

pytestmark = pytest.mark.slow

ALL_ROUTES: list[FuzzRoute] = [*FUZZ_ROUTES, *MEDIA_ROUTES, *FILE_ROUTES, *CONTROL_ROUTES]
ROUTES_BY_NAME = {route.name: route for route in ALL_ROUTES}

TOTAL_EXAMPLES = int(os.environ.get("MOCKAPI_FUZZ_EXAMPLES", "2600"))
PER_ROUTE = max(TOTAL_EXAMPLES // len(ALL_ROUTES), 10)
# What the default run must have sent (the floor); a smaller opt-in run, what it asked for.
REQUIRED = min(2_000, PER_ROUTE * len(ALL_ROUTES))

STATUSES: Counter[int] = Counter()
# Per route, how many requests were sent and how many answers were 2xx: a route that never answers 2xx
# would mean its strategy for valid requests is broken.
SENT: Counter[str] = Counter()
SUCCESSES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzz_clients(own_server: ServerProcess, control_server: ServerProcess) -> Iterator[dict[str, httpx.Client]]:
    with (
        httpx.Client(base_url=own_server.url, timeout=60) as api,
        httpx.Client(base_url=control_server.url, timeout=60) as control,
    ):
        seed_pool(api)
        yield {"api": api, "control": control}
    sent = sum(STATUSES.values())
    fives = sum(n for status, n in STATUSES.items() if status >= 500)
    by_class = ", ".join(f"{c}xx: {sum(n for s, n in STATUSES.items() if s // 100 == c)}" for c in (2, 4, 5))
    report(f"fuzz: {sent} requests over {len(ALL_ROUTES)} routes ({by_class}); 5xx count {fives}")
    report("fuzz 2xx per route: " + ", ".join(f"{name} {SUCCESSES[name]}" for name in ROUTES_BY_NAME))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", list(ROUTES_BY_NAME))
@settings(
    max_examples=PER_ROUTE,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_request_breaks_the_contract(
    fuzz_clients: dict[str, httpx.Client],
    own_server: ServerProcess,
    control_server: ServerProcess,
    name: str,
    data: st.DataObject,
) -> None:
    route = ROUTES_BY_NAME[name]
    sent = data.draw(route.requests, label="request")
    if route.prepare is not None:
        sent = route.prepare(sent)
    response = fuzz_clients[route.server].request(**to_send(sent))
    STATUSES[response.status_code] += 1
    SENT[name] += 1
    server = control_server if route.server == "control" else own_server
    assert response.status_code < 500, f"{response.status_code} {response.text[:300]}\n{server.output()[-3000:]}"
    if route.check_any is not None:
        route.check_any(sent, response)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json")
        error = error_of(response)
        assert isinstance(error["message"], str) and error["message"]
        assert error["param"] is None or isinstance(error["param"], str)
    else:
        assert 200 <= response.status_code < 300, response.status_code
        route.check_ok(sent, response)
        SUCCESSES[name] += 1


def test_the_fuzz_sent_enough_and_found_no_5xx() -> None:
    """Runs after the fuzz (tests run in file order): the figures it reports, asserted."""
    if set(SENT) != set(ROUTES_BY_NAME):
        pytest.skip("only part of the fuzz ran (selected with -k?)")
    assert sum(STATUSES.values()) >= REQUIRED, STATUSES
    assert sum(n for status, n in STATUSES.items() if status >= 500) == 0, STATUSES
    never_ok = [route.name for route in ALL_ROUTES if route.answers_ok and SUCCESSES[route.name] == 0]
    assert never_ok == [], f"routes that never answered 2xx: {never_ok}"
