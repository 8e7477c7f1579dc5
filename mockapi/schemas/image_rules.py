"""Which image model a request names, what its catalogue entry lets it take, and how the real API words each
refusal for each kind of image model.

The requests' validators read the catalogue from pydantic's validation context (the routes give it) and the
`model` field, validated first. Three kinds of model, by what their entries accept:

- the 2023 model (dall-e-2, and any image model the catalogue gives no `image_generation`): exactly its 2023
  checks, jsonschema's wording, and today's parameters unrecognised (`Unrecognized request argument supplied`);
- dall-e-3: jsonschema's wording for its choices, its own for sizes and `n`;
- the GPT image models (always base64): today's wording (`Invalid value: ...`, `Unknown parameter: ...`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationInfo
from pydantic_core import PydanticCustomError

from mockapi import errors
from mockapi.catalogue_schema import ImageGeneration, ModelEntry

Operation = Literal["generate", "edit", "variation"]

DEFAULT_MODEL = "dall-e-2"
SIZES = ("256x256", "512x512", "1024x1024")
RESPONSE_FORMATS = ("url", "b64_json")
# What dall-e-2 accepts, for the 2023 model and any image model without an `image_generation` entry.
LEGACY = ImageGeneration(
    operations=("generate", "edit", "variation"),
    sizes=SIZES,
    qualities=("standard",),
    response_formats=RESPONSE_FORMATS,
    n_max=10,
    prompt_max_chars=1000,
)


@dataclass(frozen=True)
class ImageModel:
    """The model a request names and what it accepts."""

    name: str
    accepts: ImageGeneration
    known: bool  # in the catalogue as an image model (else the route answers 404 or 400 for it)

    @property
    def legacy(self) -> bool:
        """The 2023 model: none of today's options."""
        a = self.accepts
        return not (a.styles or a.output_formats or a.backgrounds or a.moderation_levels or a.streaming)

    @property
    def gpt_image(self) -> bool:
        """A GPT image model: always base64, no `response_format`."""
        return not self.accepts.response_formats

    def default_size(self) -> str:
        return "auto" if "auto" in self.accepts.sizes else "1024x1024"

    def default_quality(self) -> str:
        """What `auto` (or no quality) means: the model's best for the GPT image models, else standard."""
        return "high" if "high" in self.accepts.qualities else "standard"


def image_model_of(name: str, entry: ModelEntry | None) -> ImageModel:
    """The model of that name, from its catalogue entry (None: not an image model the catalogue knows)."""
    if entry is None or entry.kind != "image":
        return ImageModel(name, LEGACY, False)
    return ImageModel(name, entry.image_generation or LEGACY, True)


def image_model(info: ValidationInfo, name: Any = None) -> ImageModel:
    """The model of the request being validated (its `model` field is validated first), or of that name."""
    context = info.context if isinstance(info.context, Mapping) else {}
    name = name if name is not None else info.data.get("model")
    name = name if isinstance(name, str) else DEFAULT_MODEL
    catalogue = context.get("catalogue")
    return image_model_of(name, catalogue.find(name) if catalogue is not None else None)


# The refusals.


def one_of(value: Any, allowed: Sequence[str], name: str) -> ValueError:
    """jsonschema's enum failure (2023, and dall-e-3's choices)."""
    listed = ", ".join(repr(a) for a in allowed)
    return ValueError(f"{value!r} is not one of [{listed}] - '{name}'")


def unrecognized(name: str) -> PydanticCustomError:
    """The 2023 answer to an argument the model does not take: reported as an unknown field is."""
    return PydanticCustomError("extra_forbidden", "Unrecognized request argument supplied: {name}", {"name": name})


def unknown_parameter(name: str) -> errors.OpenAIError:
    return errors.invalid_param(f"Unknown parameter: '{name}'.", name, "unknown_parameter")


def invalid_value(value: Any, allowed: Sequence[str], name: str) -> errors.OpenAIError:
    quoted = [f"'{a}'" for a in allowed]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])}, and {quoted[-1]}"
    return errors.invalid_param(f"Invalid value: '{value}'. Supported values are: {listed}.", name, "invalid_value")


def above_maximum(name: str, value: int, maximum: int) -> errors.OpenAIError:
    return errors.invalid_param(
        f"Invalid '{name}': integer above maximum value. Expected a value <= {maximum}, but got {value} instead.",
        name,
        "integer_above_max_value",
    )


def below_minimum(name: str, value: int, minimum: int) -> errors.OpenAIError:
    return errors.invalid_param(
        f"Invalid '{name}': integer below minimum value. Expected a value >= {minimum}, but got {value} instead.",
        name,
        "integer_below_min_value",
    )


def takes(model: ImageModel, name: str, capable: bool) -> None:
    """One of today's options, refused by a model that does not take it as that model refuses it."""
    if model.legacy:
        raise unrecognized(name)
    if not capable:
        raise unknown_parameter(name)


def choice(model: ImageModel, name: str, value: Any, allowed: Sequence[str]) -> Any:
    """A value of one of today's options: refused as its model refuses it, else as given (None: the default)."""
    takes(model, name, bool(allowed))
    if value is None or value in allowed:
        return value
    if model.gpt_image:
        raise invalid_value(value, allowed, name)
    raise one_of(value, allowed, name)


def size(model: ImageModel, value: Any) -> str:
    sizes = model.accepts.sizes
    if value in sizes:
        return str(value)
    if model.legacy:
        raise one_of(value, sizes, "size")
    if model.gpt_image:
        raise invalid_value(value, sizes, "size")
    raise errors.invalid_param("The size is not supported by this model.", "size", "invalid_size")


def response_format(model: ImageModel, value: Any) -> str:
    if model.gpt_image:
        raise unknown_parameter("response_format")
    if value not in model.accepts.response_formats:
        raise one_of(value, model.accepts.response_formats, "response_format")
    return str(value)


def count(model: ImageModel, n: int) -> int:
    """`n` within the model's own maximum (the spec's 1-10 is checked first)."""
    if n <= model.accepts.n_max:
        return n
    if model.accepts.n_max == 1:
        raise errors.invalid_param("You must provide n=1 for this model.", "n")
    if model.gpt_image:
        raise above_maximum("n", n, model.accepts.n_max)
    raise ValueError(f"{n!r} is greater than the maximum of {model.accepts.n_max} - 'n'")


def prompt(model: ImageModel, value: str) -> str:
    limit = model.accepts.prompt_max_chars
    if len(value) <= limit:
        return value
    if model.gpt_image:
        raise errors.invalid_param(
            f"Invalid 'prompt': string too long. Expected a string with maximum length {limit}, but got a string "
            f"with length {len(value)} instead.",
            "prompt",
            "string_above_max_length",
        )
    raise ValueError(f"{value!r} is too long - 'prompt'")


def operation(model: ImageModel, wanted: Operation) -> None:
    """A known image model that does not do this (dall-e-3 edits or varies nothing, the GPT models vary nothing)."""
    if model.known and wanted not in model.accepts.operations:
        raise errors.invalid_param(f"The model '{model.name}' is not supported on this endpoint.", "model")
