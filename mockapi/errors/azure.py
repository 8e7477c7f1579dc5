"""The errors Azure OpenAI's gateway answers itself, in Azure's shape (part of the one error catalogue)."""

from __future__ import annotations

from typing import Any

from mockapi.errors import OpenAIError


class AzureError(OpenAIError):
    """An error Azure OpenAI answers itself, before any model sees the request (its gateway's: the key, the
    api-version, the deployment): `{"error": {"code", "message"}}`, the code a string. What a model refuses
    reaches Azure's clients in OpenAI's shape."""

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def azure_resource_not_found() -> AzureError:
    """A path Azure does not serve, or one without its `api-version`."""
    return AzureError(404, "Resource not found", code="404")


def azure_api_version_not_supported() -> AzureError:
    return AzureError(400, "API version not supported", code="BadRequest")


def azure_deployment_not_found() -> AzureError:
    return AzureError(
        404,
        "The API deployment for this resource does not exist. If you created the deployment within the last "
        "5 minutes, please wait a moment and try again.",
        code="DeploymentNotFound",
    )


def azure_access_denied() -> AzureError:
    """A missing or unknown `api-key`."""
    return AzureError(
        401,
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
        "for an active subscription and use a correct regional API endpoint for your resource.",
        code="401",
    )


def azure_invalid_token() -> AzureError:
    """An unknown bearer token (Microsoft Entra ID's, on Azure)."""
    return AzureError(
        401,
        "Unauthorized. Access token is missing, invalid, audience is incorrect "
        "(https://cognitiveservices.azure.com), or have expired.",
        code="401",
    )
