"""The models an owner made by fine-tuning, beside the catalogue's. `FineTunedModels.find` is the per-owner
lookup the routers' model check consults (pipeline.model_entry): a fine-tuned model answers as its base model
does, under its own name (so with its own seed: its answers differ from the base model's).

Each model is a record (kind "fine_tuned_models", id: its name) naming the job that makes it. It exists for
its owner, and for no one else, once that job has succeeded, computed from the job at the time asked as the
job's own status is; it is gone once deleted (the job still names it, as the API's jobs do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from mockapi.generators import fine_tunes, fine_tuning
from mockapi.generators.training_runs import derived_id
from mockapi.records import RecordStores

if TYPE_CHECKING:
    from mockapi.catalogue import Catalogue, ModelEntry

KIND = "fine_tuned_models"
Api = Literal["current", "2023"]
# The records of each API's jobs.
JOB_KINDS: dict[Api, str] = {"current": "fine_tuning.jobs", "2023": "fine-tunes"}


def is_fine_tuned_name(model: str) -> bool:
    """Today's `ft:<base>:<org>:<suffix>:<id>` or the 2023 `<base>:ft-<org>-<time>`."""
    return model.startswith("ft:") or ":ft-" in model


class FineTunedModels:
    def __init__(self, records: RecordStores, catalogue: Catalogue, now: Callable[[], float]) -> None:
        self._records = records
        self._catalogue = catalogue
        self._now = now

    def add(self, owner: str, name: str, api: Api, job_id: str, base: str, owned_by: str, created_at: int) -> None:
        record = {"id": name, "api": api, "job": job_id, "base": base, "owned_by": owned_by, "created_at": created_at}
        self._records(KIND).put(owner, name, record, created_at)

    def find(self, owner: str, name: str) -> ModelEntry | None:
        """The owner's model of that name, as its base model's entry under its own name; None if the owner has
        none (yet, or any more)."""
        found = self._available(owner, name)
        if found is None:
            return None
        record, ready = found
        base = self._catalogue.find(record["base"])
        if base is None:
            return None
        return base.model_copy(update={"id": name, "owned_by": record["owned_by"], "created": int(ready)})

    def objects(self, owner: str) -> list[dict[str, Any]]:
        """The model objects of the owner's models that exist now, oldest first."""
        listed = []
        for record in self._records(KIND).page(owner, limit=self._records.bounds.count, order="asc").data:
            found = self._available(owner, record["id"], record)
            if found is not None:
                listed.append(model_object(found[0], found[1]))
        return listed

    def object(self, owner: str, name: str) -> dict[str, Any] | None:
        found = self._available(owner, name)
        return None if found is None else model_object(*found)

    def delete(self, owner: str, name: str) -> bool:
        """Delete the owner's model if it exists now."""
        if self._available(owner, name) is None:
            return False
        return self._records(KIND).delete(owner, name)

    def _available(
        self, owner: str, name: str, record: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], float] | None:
        """The model's record and when it became available, if it is now."""
        record = record if record is not None else self._records(KIND).get(owner, name)
        if record is None:
            return None
        job = self._records(JOB_KINDS[record["api"]]).get(owner, record["job"])
        if job is None:
            return None
        ready = fine_tuning.finish_time(job) if record["api"] == "current" else fine_tunes.finish_time(job)
        if ready is None or self._now() < ready:
            return None
        return record, ready


def model_object(record: dict[str, Any], ready: float) -> dict[str, Any]:
    """Today's model object, or for a 2023 model the 2023 shape (its permission, root and parent)."""
    body: dict[str, Any] = {
        "id": record["id"],
        "object": "model",
        "created": int(ready),
        "owned_by": record["owned_by"],
    }
    if record["api"] == "current":
        return body
    permission = {
        "id": derived_id("modelperm-", 24, record["id"], "permission"),
        "object": "model_permission",
        "created": int(ready),
        "allow_create_engine": False,
        "allow_sampling": True,
        "allow_logprobs": True,
        "allow_search_indices": False,
        "allow_view": True,
        "allow_fine_tuning": True,
        "organization": record["owned_by"],
        "group": None,
        "is_blocking": False,
    }
    return {**body, "permission": [permission], "root": record["base"], "parent": record["base"]}
