"""The fine-tuning APIs' refusals (today's /v1/fine_tuning/jobs and the 2023 /v1/fine-tunes), and deleting a
model one may not delete, built from the named constructors of errors.py.

Wording as the API sends it where its users have quoted it: "Model X is not available for fine-tuning or does
not exist." (code `model_not_available`), "invalid training_file: file-...", the 2023 "Invalid base model: ..."
and "No such File object: ...". A job or model of another owner is as missing as one that never was.
"""

from __future__ import annotations

from mockapi.errors import OpenAIError, invalid_param, not_found, not_permitted

LEGACY_BASE_MODELS = ("ada", "babbage", "curie", "davinci")


def job_not_found(job_id: str) -> OpenAIError:
    return not_found(f"Could not find fine-tuning job: {job_id}", "fine_tuning_job_id")


def model_not_available(model: str) -> OpenAIError:
    return invalid_param(
        f"Model {model} is not available for fine-tuning or does not exist.", "model", "model_not_available"
    )


def method_not_available(model: str, method: str) -> OpenAIError:
    return invalid_param(f"Model {model} is not available for {method} fine-tuning.", "method.type")


def invalid_file(param: str, file_id: str) -> OpenAIError:
    """A training or validation file the caller has none of."""
    return invalid_param(f"invalid {param}: {file_id}", param)


def wrong_purpose(param: str, file_id: str, purpose: str) -> OpenAIError:
    return invalid_param(f"File {file_id} has purpose '{purpose}', but must have purpose 'fine-tune'.", param)


def not_cancellable(job_id: str, status: str) -> OpenAIError:
    return invalid_param(f"Cannot cancel job {job_id}: it has already {_ended(status)}.", None)


def not_pausable(job_id: str, status: str) -> OpenAIError:
    return invalid_param(f"Cannot pause job {job_id}: only a running job can be paused (it is {status}).", None)


def not_resumable(job_id: str, status: str) -> OpenAIError:
    return invalid_param(f"Cannot resume job {job_id}: only a paused job can be resumed (it is {status}).", None)


def too_many_pauses(job_id: str, most: int) -> OpenAIError:
    return invalid_param(f"Cannot pause job {job_id}: a job can be paused at most {most} times.", None)


def unknown_cursor(param: str, cursor: str) -> OpenAIError:
    return invalid_param(f"Invalid '{param}': no such object to list after: {cursor}", param)


def _ended(status: str) -> str:
    return "been cancelled" if status == "cancelled" else status


# The 2023 API.


def fine_tune_not_found(fine_tune_id: str) -> OpenAIError:
    return not_found(f"No such fine-tune: {fine_tune_id}", "fine_tune_id")


def invalid_base_model(model: str, organization: str) -> OpenAIError:
    return invalid_param(
        f"Invalid base model: {model} (model must be one of {', '.join(LEGACY_BASE_MODELS)}) or a fine-tuned "
        f"model created by your organization: {organization}",
        "model",
    )


def legacy_file_not_found(param: str, file_id: str) -> OpenAIError:
    return invalid_param(f"No such File object: {file_id}", param)


def classification_needs(what: str, param: str) -> OpenAIError:
    return invalid_param(f"compute_classification_metrics requires {what}.", param)


def legacy_not_cancellable(fine_tune_id: str, status: str) -> OpenAIError:
    return invalid_param(f"Cannot cancel fine-tune {fine_tune_id}: it has already {_ended(status)}.", None)


# Models.


def model_not_deletable(model: str) -> OpenAIError:
    """A model of the catalogue (owned by OpenAI): only one's own fine-tuned models can be deleted."""
    return not_permitted(f"You are not allowed to delete the model '{model}'.", "model")
