"""Azure OpenAI's paths to the routes: the same handlers and the same pipeline, reached the way Azure's clients
(`openai.AzureOpenAI`, or `openai.OpenAI` on Azure's v1 API) call them.

- `/openai/deployments/{deployment}/<path>?api-version=...` for what a deployment serves (chat, completions,
  embeddings, images, audio): the model is the deployment's, whatever the body says (the body may leave it
  out). A deployment serves the model it is named after, or the one `--azure-deployment NAME=MODEL` gives.
- `/openai/<path>?api-version=...` for the rest (models, files and every later resource).
- `/openai/v1/<path>`: Azure's v1 API, without an api-version (or with "preview" or "latest"); a body's `model`
  names a deployment.

Each alias is a DirectRoute around the route's own handler and declaration: rules match it by the same endpoint
name, and the journal records the path as sent. What Azure's gateway refuses itself (the key, the api-version,
the deployment, a path it does not serve) is answered in Azure's shape (errors_azure.AzureError); what the model
refuses keeps OpenAI's shape, as Azure passes it on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from starlette.exceptions import HTTPException
from starlette.requests import Request

from mockapi import errors
from mockapi.context import context_of
from mockapi.errors import azure as errors_azure
from mockapi.routing import API_PREFIX, AZURE_PREFIX, DirectRoute
from mockapi.settings import Settings

__all__ = ["alias_routes", "canonical_path", "gateway_error"]

DEPLOYMENTS_PREFIX = AZURE_PREFIX + "/deployments/"
V1_PREFIX = AZURE_PREFIX + API_PREFIX
API_VERSION = "api-version"

# The api-versions of Azure OpenAI's inference API its classic paths take: the GA releases and the previews.
DATED_API_VERSIONS = (
    "2022-03-01-preview",
    "2022-06-01-preview",
    "2022-12-01",
    "2023-03-15-preview",
    "2023-05-15",
    "2023-06-01-preview",
    "2023-07-01-preview",
    "2023-08-01-preview",
    "2023-09-01-preview",
    "2023-10-01-preview",
    "2023-11-01-preview",
    "2023-12-01-preview",
    "2024-02-01",
    "2024-02-15-preview",
    "2024-03-01-preview",
    "2024-04-01-preview",
    "2024-05-01-preview",
    "2024-06-01",
    "2024-07-01-preview",
    "2024-08-01-preview",
    "2024-09-01-preview",
    "2024-10-01-preview",
    "2024-10-21",
    "2024-12-01-preview",
    "2025-01-01-preview",
    "2025-02-01-preview",
    "2025-03-01-preview",
    "2025-04-01-preview",
)
# What the v1 API takes, when an api-version is given at all.
V1_API_VERSIONS = ("preview", "latest")

# The endpoints a deployment serves (the SDK moves these under /deployments/{model}), by endpoints.py's names;
# one that has no route yet is left out.
DEPLOYMENT_ENDPOINTS = frozenset(
    {
        "chat.completions",
        "completions",
        "embeddings",
        "images.generations",
        "images.edits",
        "images.variations",
        "audio.transcriptions",
        "audio.translations",
        "audio.speech",
    }
)
# Endpoints Azure never served.
NOT_ON_AZURE = frozenset({"edits"})


# Where an alias finds the deployment: in its path, in the body's `model` (a name that is no deployment is
# Azure's 404), or perhaps in the body's `model` (a name that is no deployment goes on to the route as it is).
Naming = Literal["path", "body", "body_if_any"]


class Deployments:
    """The model each deployment serves: the one it is mapped to, else the catalogue model it is named after."""

    def __init__(self, pairs: Iterable[str]) -> None:
        self.mapped = dict(pair.split("=", 1) for pair in pairs)

    def model(self, request: Request, name: str) -> str | None:
        mapped = self.mapped.get(name)
        if mapped is not None:
            return mapped
        return name if name in context_of(request).state.catalogue else None

    def serving(self, request: Request, name: str) -> str:
        """The deployment's model, or Azure's 404 for a deployment that does not exist."""
        model = self.model(request, name)
        if model is None:
            raise errors_azure.azure_deployment_not_found()
        return model


def alias_routes(routes: Sequence[DirectRoute], settings: Settings) -> list[DirectRoute]:
    """Azure's paths to these routes (the public ones, links without a key, have none)."""
    deployments = Deployments(settings.azure_deployments)
    aliases = []
    for route in routes:
        declared = route.declared
        if declared.public or declared.endpoint in NOT_ON_AZURE or not route.path.startswith(API_PREFIX):
            continue
        rest = route.path.removeprefix(API_PREFIX)
        if declared.endpoint in DEPLOYMENT_ENDPOINTS:
            path = DEPLOYMENTS_PREFIX + "{deployment}" + rest
            aliases.append(_alias(route, path, deployments, "path"))
            aliases.append(_alias(route, V1_PREFIX + rest, deployments, "body", v1=True))
        else:
            aliases.append(_alias(route, AZURE_PREFIX + rest, deployments, "body_if_any"))
            aliases.append(_alias(route, V1_PREFIX + rest, deployments, "body_if_any", v1=True))
    return aliases


def _alias(route: DirectRoute, path: str, deployments: Deployments, naming: Naming, v1: bool = False) -> DirectRoute:
    """The route at `path`; on the v1 API an api-version is optional, elsewhere it is required."""
    versions = V1_API_VERSIONS if v1 else DATED_API_VERSIONS
    accepted = frozenset(versions)
    strips_query = route.declared.query is not None

    def guard(request: Request) -> None:
        """What the gateway checks before the body is read."""
        version = request.query_params.get(API_VERSION)
        if version is None:
            if not v1:
                raise errors_azure.azure_resource_not_found()  # as Azure answers a path without one
        elif version not in accepted:
            raise errors_azure.azure_api_version_not_supported()
        if naming == "path":
            deployments.serving(request, request.path_params["deployment"])

    def inputs(request: Request, fields: dict[str, Any]) -> dict[str, Any]:
        if strips_query:  # the gateway's parameter, not the route's
            fields = {name: value for name, value in fields.items() if name != API_VERSION}
        if naming == "path":  # the deployment's model, in place of the body's (which may be absent)
            return {**fields, "model": deployments.serving(request, request.path_params["deployment"])}
        named = fields.get("model")
        if not isinstance(named, str):
            return fields
        model = deployments.serving(request, named) if naming == "body" else deployments.model(request, named)
        return fields if model is None or model == named else {**fields, "model": model}

    version_parameter = {
        "name": API_VERSION,
        "in": "query",
        "required": not v1,
        "schema": {"type": "string", "enum": list(versions)},
    }
    return DirectRoute(
        path,
        route.handler,
        declared=route.declared,
        guard=guard,
        inputs=inputs,
        query_parameters=[version_parameter],
        methods=route.methods,
        tags=["azure"],
    )


def canonical_path(path: str) -> str:
    """The /v1 path an Azure path reaches (for the body limits the routes declare); any other path as it is."""
    if not path.startswith(AZURE_PREFIX):
        return path
    if path.startswith(V1_PREFIX):
        return path.removeprefix(AZURE_PREFIX)
    if path.startswith(DEPLOYMENTS_PREFIX):
        _, _, rest = path.removeprefix(DEPLOYMENTS_PREFIX).partition("/")
        return f"{API_PREFIX}/{rest}"
    return API_PREFIX + path.removeprefix(AZURE_PREFIX)


def gateway_error(exc: Exception, error: errors.OpenAIError) -> errors.OpenAIError:
    """The answer to a failure on an Azure path: a path (or method) Azure does not serve is its gateway's 404;
    anything else as it is."""
    if isinstance(exc, HTTPException) and exc.status_code in (404, 405):
        return errors_azure.azure_resource_not_found()
    return error
