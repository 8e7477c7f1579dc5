"""The routes the app serves, and what the edge learns from their declarations.

Resource routers are the modules of mockapi/routers (all but the control API), found there rather than
listed: a new resource is its router module plus its endpoint's line in endpoints.py. Their routes are
tried busiest first (the order of endpoints.py), and each must name an endpoint listed there (and each
listed endpoint must have a route), or the app does not start.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mockapi import endpoints, errors, routers
from mockapi.azure import canonical_path
from mockapi.routing import DirectRoute, Resource, TooLarge
from mockapi.settings import Settings

CONTROL_ROUTER = "control"


class RegistryError(Exception):
    """Routes and the endpoint table disagree: a misspelt name, or an endpoint nothing serves."""


def resource_routers() -> list[Resource]:
    found = []
    for module in sorted(pkgutil.iter_modules(routers.__path__), key=lambda m: m.name):
        if module.name == CONTROL_ROUTER:
            continue
        router = getattr(importlib.import_module(f"{routers.__name__}.{module.name}"), "router", None)
        if not isinstance(router, Resource):
            raise RegistryError(f"mockapi.routers.{module.name} has no `router` (a routing.Resource)")
        found.append(router)
    return found


def resource_routes() -> list[DirectRoute]:
    """Every resource route, those of the busiest endpoints first; routes of no endpoint last."""
    routes = [route for router in resource_routers() for route in router.routes]
    check(routes)
    order = {name: index for index, name in enumerate(endpoints.NAMES)}
    return sorted(routes, key=lambda route: order.get(route.declared.endpoint or "", len(order)))


def check(routes: Iterable[DirectRoute]) -> None:
    named = {route.declared.endpoint: route.path for route in routes if route.declared.endpoint is not None}
    unknown = sorted(f"{path} names '{name}'" for name, path in named.items() if name not in endpoints.ENDPOINTS)
    if unknown:
        raise RegistryError(f"routes name endpoints that endpoints.py does not list: {'; '.join(unknown)}")
    unserved = [name for name in endpoints.NAMES if name not in named]
    if unserved:
        raise RegistryError(f"endpoints.py lists endpoints no route serves: {', '.join(unserved)}")


@dataclass(frozen=True)
class BodyRule:
    limit: int
    too_large: TooLarge


class RouteTable:
    """What the edge needs of the routes, looked up per request in a dict: the body limit of a method and
    path (and how its 413 is worded; only paths without parameters have limits of their own; an Azure path
    has its route's), and the paths served without an API key."""

    def __init__(self, routes: Sequence[DirectRoute], settings: Settings) -> None:
        default_limit = settings.max_body_bytes
        self.default = BodyRule(default_limit, _too_large(default_limit))
        self._bodies: dict[tuple[str, str], BodyRule] = {}
        public: list[str] = []
        for route in routes:
            declared = route.declared
            if declared.public:
                public.append(route.path.split("{", 1)[0])
            if declared.body_limit is None and declared.too_large is None:
                continue
            if "{" in route.path:
                raise RegistryError(f"{route.path}: a body limit of its own needs a path without parameters")
            limit = max(default_limit, declared.body_limit(settings)) if declared.body_limit else default_limit
            rule = BodyRule(limit, declared.too_large or _too_large(limit))
            for method in route.methods or ():
                self._bodies[(method, route.path)] = rule
        self.public_prefixes = tuple(dict.fromkeys(public))

    def body_rule(self, method: str, path: str) -> BodyRule:
        return self._bodies.get((method, canonical_path(path)), self.default)

    def is_public(self, path: str) -> bool:
        return path.startswith(self.public_prefixes) if self.public_prefixes else False


def _too_large(limit: int) -> TooLarge:
    """The refusal of a body of some size (declared, or read so far) over `limit`."""
    return lambda size: errors.body_too_large(limit)
