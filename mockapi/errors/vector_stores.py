"""Vector stores' refusals (part of the one error catalogue: built on errors.py's constructors)."""

from __future__ import annotations

from mockapi.errors import OpenAIError, invalid_param, not_found


def wrong_id_prefix(param: str, value: str, prefix: str) -> OpenAIError:
    return invalid_param(f"Invalid '{param}': '{value}'. Expected an ID that begins with '{prefix}'.", param)


def vector_store_not_found(vector_store_id: str) -> OpenAIError:
    return not_found(f"No vector store found with id '{vector_store_id}'.")


def vector_store_file_not_found(file_id: str, vector_store_id: str) -> OpenAIError:
    return not_found(f"No file found with id '{file_id}' in vector store '{vector_store_id}'.")


def file_batch_not_found(batch_id: str, vector_store_id: str) -> OpenAIError:
    return not_found(f"No file batch found with id '{batch_id}' in vector store '{vector_store_id}'.")


def attached_file_not_found(file_id: str, param: str) -> OpenAIError:
    """A file to attach that is not one of the caller's uploads."""
    return not_found(f"No such File object: {file_id}", param)


def vector_store_expired(vector_store_id: str) -> OpenAIError:
    return invalid_param(f"Vector store '{vector_store_id}' has expired.", None)
