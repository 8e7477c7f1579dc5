"""Property-based fuzzing of the contract: generated requests, valid and invalid, on every route.

Whatever is sent, the answer is never a 5xx; a 4xx has OpenAI's four-key error shape; a 2xx matches the
route's schema in the 2023 spec. Deterministic (derandomized, no example database). The default run
sends about 2,600 requests; `MOCKAPI_FUZZ_EXAMPLES=20000` (say) spreads that many over the routes.
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
from tests.hardening.routes import FUZZ_ROUTES, ROUTES_BY_NAME
from tests.support import ServerProcess, error_of

TOTAL_EXAMPLES = int(os.environ.get("MOCKAPI_FUZZ_EXAMPLES", "2600"))
PER_ROUTE = max(TOTAL_EXAMPLES // len(FUZZ_ROUTES), 10)

STATUSES: Counter[int] = Counter()
# Per route, how many answers were 2xx: a route that never answers 2xx would mean its valid strategy is broken.
SUCCESSES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzz_http(own_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=own_server.url, timeout=60) as client:
        yield client
    sent = sum(STATUSES.values())
    fives = sum(n for status, n in STATUSES.items() if status >= 500)
    by_class = ", ".join(f"{c}xx: {sum(n for s, n in STATUSES.items() if s // 100 == c)}" for c in (2, 4, 5))
    report(f"fuzz: {sent} requests over {len(FUZZ_ROUTES)} routes ({by_class}); 5xx count {fives}")
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
    fuzz_http: httpx.Client, own_server: ServerProcess, name: str, data: st.DataObject
) -> None:
    route = ROUTES_BY_NAME[name]
    sent = data.draw(route.requests, label="request")
    response = fuzz_http.request(**sent)
    STATUSES[response.status_code] += 1
    assert response.status_code < 500, f"{response.status_code} {response.text[:300]}\n{own_server.output()[-3000:]}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json")
        error = error_of(response)
        assert isinstance(error["message"], str) and error["message"]
        assert error["param"] is None or isinstance(error["param"], str)
    else:
        assert 200 <= response.status_code < 300, response.status_code
        route.check_ok(sent, response)
        SUCCESSES[name] += 1
