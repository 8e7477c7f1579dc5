"""How a training run advances, as pure functions of its plan and the clock (both fine-tuning APIs).

A job's record holds its plan (examples, tokens, hyperparameters, what fails) and what was done to it (pauses,
a cancellation); its status, events, checkpoints and results at a time are computed from those, so every
worker process, and a restart from the data directory, computes the same.

A run moves through "work" seconds from its creation: phases are spans of work. A pause stops work until
its resume, after which the job queues again for REQUEUE_SECONDS; `wall_time` maps a work second to the
clock's time, `work_time` the reverse. Durations are in the clock's seconds (scaled by --job-speed, pushed
by POST /__mockapi/clock/advance).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mockapi.seeding import Seeding

REQUEUE_SECONDS = 10.0
# Training takes a minute at least, then a second per TRAINING_TOKENS_PER_SECOND tokens trained.
MIN_TRAINING_SECONDS = 60.0
TRAINING_TOKENS_PER_SECOND = 1000.0
# Bounds of what a job derives: step events, rows of its results file, checkpoints kept (the last epochs').
MAX_STEP_EVENTS = 100
MAX_RESULT_ROWS = 2000
KEPT_CHECKPOINTS = 3

# The "auto" rules of the fine-tuning guide (its data-preparation cookbook): about three epochs, more for a
# small file (at least 100 examples seen), fewer for a large one (at most 25,000).
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MAX_DEFAULT_EPOCHS = 25


def auto_epochs(examples: int) -> int:
    if examples <= 0:
        return TARGET_EPOCHS
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(1, MAX_TARGET_EXAMPLES // examples)
    return TARGET_EPOCHS


def auto_batch_size(examples: int) -> int:
    """About 0.2% of the examples, between 1 and 256 (the 2023 reference's rule, which today's API keeps)."""
    return max(1, min(256, round(examples * 0.002)))


def steps_per_epoch(examples: int, batch_size: int) -> int:
    return max(1, math.ceil(examples / batch_size))


def training_seconds(trained_tokens: int) -> float:
    return max(MIN_TRAINING_SECONDS, trained_tokens / TRAINING_TOKENS_PER_SECOND)


@dataclass(frozen=True)
class Pause:
    at: float  # the clock's time it was paused
    work: float  # the work seconds done by then
    resumed: float | None


def pauses_of(record: Mapping[str, Any]) -> list[Pause]:
    return [
        Pause(float(at), float(work), None if resumed is None else float(resumed))
        for at, work, resumed in record.get("pauses") or ()
    ]


def wall_time(created: float, work: float, pauses: Sequence[Pause]) -> float | None:
    """When the run reaches `work` seconds of work; None while a pause before that point lasts."""
    time = created + work
    for pause in pauses:
        if pause.work < work:
            if pause.resumed is None:
                return None
            time += pause.resumed + REQUEUE_SECONDS - pause.at
    return time


def work_time(created: float, now: float, pauses: Sequence[Pause]) -> float:
    """The work seconds done by `now`."""
    done = now - created
    for pause in pauses:
        if now <= pause.at:
            continue
        end = now if pause.resumed is None else min(now, pause.resumed + REQUEUE_SECONDS)
        done -= end - pause.at
    return done


def interruption(now: float, pauses: Sequence[Pause]) -> Literal["paused", "queued"] | None:
    """Paused (until resumed), or queued again after a resume; None while the run works."""
    for pause in pauses:
        if pause.at <= now and (pause.resumed is None or now < pause.resumed):
            return "paused"
        if pause.resumed is not None and pause.resumed <= now < pause.resumed + REQUEUE_SECONDS:
            return "queued"
    return None


def sampled_steps(total: int, most: int) -> list[int]:
    """Every step, or `most` of them evenly spread, the last always among them."""
    if total <= most:
        return list(range(1, total + 1))
    return sorted({max(1, round(total * (index + 1) / most)) for index in range(most)})


@dataclass(frozen=True)
class StepMetrics:
    step: int
    train_loss: float
    train_accuracy: float
    valid_loss: float | None
    valid_accuracy: float | None


class LossCurve:
    """A job's losses: falling from about 2 towards 0.05 over its steps, with noise fixed by the job's id."""

    def __init__(self, job_id: str, total_steps: int, validated: bool) -> None:
        self.job_id = job_id
        self.total = max(1, total_steps)
        self.validated = validated

    def at(self, step: int) -> StepMetrics:
        rng = Seeding.derived(self.job_id, "loss", step)
        progress = step / self.total
        train = _loss(progress, rng)
        if not self.validated:
            return StepMetrics(step, train, _accuracy(train, rng), None, None)
        valid = _loss(progress, rng) * 1.1
        return StepMetrics(step, train, _accuracy(train, rng), valid, _accuracy(valid, rng))

    def full_validation(self) -> tuple[float, float]:
        """The full validation set's loss and accuracy at the end (jobs with a validation file)."""
        rng = Seeding.derived(self.job_id, "full_validation")
        loss = _loss(1.0, rng) * 1.2
        return loss, _accuracy(loss, rng)


def _loss(progress: float, rng: random.Random) -> float:
    return 0.05 + 2.0 * math.exp(-4.0 * progress) * (0.85 + 0.3 * rng.random())


def _accuracy(loss: float, rng: random.Random) -> float:
    return min(1.0, max(0.0, 1.0 - loss / 2.6 + 0.02 * (rng.random() - 0.5)))


def derived_id(prefix: str, length: int, *parts: object) -> str:
    """An id fixed by what it names (a job's event, checkpoint or snapshot)."""
    return Seeding.answer_id(prefix, Seeding.derived(*parts), length)
