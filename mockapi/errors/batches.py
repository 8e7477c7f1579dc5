"""The Files and Batch APIs' refusals of today (part of the one error catalogue)."""

from __future__ import annotations

from mockapi.errors import OpenAIError, invalid_param, not_found


def not_jsonl(api: str) -> OpenAIError:
    """An upload for the Batch or Fine-Tuning API that is not JSONL (`api` as the message names it)."""
    return invalid_param(f"Invalid file format for {api} API. Must be .jsonl", None)


def batch_file_too_large(size: int, limit: int) -> OpenAIError:
    return invalid_param(
        f"Batch input files can be at most {limit} bytes (200 MB); this one is {size} bytes.", "file", "file_too_large"
    )


def not_an_image() -> OpenAIError:
    return invalid_param(
        "You uploaded an unsupported image. Please make sure your image has of one the following formats: "
        "['png', 'jpeg', 'gif', 'webp'].",
        "file",
        "invalid_image_format",
    )


def batch_not_found(batch_id: str) -> OpenAIError:
    """Also what a caller gets for another organization's batch."""
    return not_found(f"No batch found with id '{batch_id}'.")


def too_many_batches(limit: int) -> OpenAIError:
    return OpenAIError(
        429,
        f"You have {limit} batches in progress, the most one organization may have at once. Please try again once "
        "some of them have ended.",
        type="rate_limit_exceeded",
        code="batch_limit_exceeded",
    )


def batch_cannot_be_cancelled(status: str) -> OpenAIError:
    return OpenAIError(409, f"Cannot cancel a batch with status '{status}'.")
