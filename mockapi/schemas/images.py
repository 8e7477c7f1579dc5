"""Request models of the images endpoints (CreateImageRequest, CreateImageEditRequest,
CreateImageVariationRequest), checked against the model asked for (schemas/image_rules.py): dall-e-2 as in
2023, dall-e-3 and the GPT image models with what their catalogue entries accept. Uploads: image_uploads.py.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mockapi import errors
from mockapi.generators.image_models import MAX_PARTIAL_IMAGES, transparent_jpeg_error
from mockapi.model_base import Schema
from mockapi.schemas import image_rules as rules
from mockapi.schemas.common import UploadedFile
from mockapi.schemas.image_uploads import (
    MAX_UPLOAD_BYTES,
    PngUpload,
    Upload,
    dimensions,
    has_alpha,
    read_input_image,
    read_png,
    require_square,
    require_transparency,
    too_large,
    upload_refused,
)

__all__ = [
    "MAX_UPLOAD_BYTES",
    "CreateImageEditRequest",
    "CreateImageRequest",
    "CreateImageVariationRequest",
    "ImageOptions",
    "ImagesResponse",
    "PngUpload",
    "Upload",
    "read_png",
    "too_large",
    "upload_refused",
]

DEFAULT_MODEL = rules.DEFAULT_MODEL
SIZES = rules.SIZES
RESPONSE_FORMATS = rules.RESPONSE_FORMATS
MAX_PROMPT_CHARS = 1000
MAX_IMAGES = 10
# The GPT image models edit up to this many input images at once.
MAX_INPUT_IMAGES = 16
# Options the spec marks `nullable: true`: null there means the default.
_NULLABLE = frozenset({"model", "n", "size", "response_format"})
_FORM_INTEGER = re.compile(r"[+-]?[0-9]+")
_FORM_BOOLEANS = {"true": True, "false": False}


class ImageOptions(Schema):
    """Fields shared by the three endpoints; null means the default, as in the spec (`nullable: true`)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    operation: ClassVar[rules.Operation] = "generate"

    model: str = DEFAULT_MODEL
    # Strict, as JSON types are: true, "2" and 1.0 are not integers to the real API.
    n: StrictInt = Field(1, ge=1, le=MAX_IMAGES)
    size: str = "1024x1024"
    response_format: str = "url"
    user: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None or k not in _NULLABLE}
        return data

    @field_validator("model")
    @classmethod
    def _does_this(cls, value: str, info: ValidationInfo) -> str:
        rules.operation(rules.image_model(info, value), cls.operation)
        return value

    @field_validator("n")
    @classmethod
    def _count(cls, value: int, info: ValidationInfo) -> int:
        return rules.count(rules.image_model(info), value)

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: Any, info: ValidationInfo) -> str:
        return rules.size(rules.image_model(info), value)

    @field_validator("response_format", mode="before")
    @classmethod
    def _response_format(cls, value: Any, info: ValidationInfo) -> str:
        return rules.response_format(rules.image_model(info), value)

    def options(self) -> dict[str, Any]:
        return {"model": self.model, "n": self.n, "size": self.size, "response_format": self.response_format}


class TodayOptions(ImageOptions):
    """What dall-e-3 and the GPT image models add; the 2023 model refuses each as an unknown argument."""

    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    output_compression: StrictInt | None = None
    stream: StrictBool | None = None
    partial_images: StrictInt | None = None

    @field_validator("quality", "background", "output_format", mode="before")
    @classmethod
    def _choice(cls, value: Any, info: ValidationInfo) -> Any:
        model = rules.image_model(info)
        allowed = {
            "quality": model.accepts.qualities if not model.legacy else (),
            "background": model.accepts.backgrounds,
            "output_format": model.accepts.output_formats,
        }[str(info.field_name)]
        return rules.choice(model, str(info.field_name), value, allowed)

    @field_validator("output_compression", "partial_images")
    @classmethod
    def _within(cls, value: int | None, info: ValidationInfo) -> int | None:
        model, name = rules.image_model(info), str(info.field_name)
        capable = model.accepts.output_formats if name == "output_compression" else model.accepts.streaming
        rules.takes(model, name, bool(capable))
        highest = 100 if name == "output_compression" else MAX_PARTIAL_IMAGES
        if value is not None and value > highest:
            raise rules.above_maximum(name, value, highest)
        if value is not None and value < 0:
            raise rules.below_minimum(name, value, 0)
        return value

    @field_validator("stream")
    @classmethod
    def _streams(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        model = rules.image_model(info)
        rules.takes(model, "stream", True)
        if value and not model.accepts.streaming:
            raise errors.invalid_param(
                f"Streaming is not supported with the model '{model.name}'.", "stream", "unsupported_value"
            )
        return value

    @model_validator(mode="after")
    def _formats_agree(self) -> TodayOptions:
        message = transparent_jpeg_error(self.background, self.output_format)
        if message is not None:
            raise errors.invalid_param(message, "background")
        if (
            self.output_compression is not None
            and self.output_compression < 100
            and self.output_format in (None, "png")
        ):
            raise errors.invalid_param(
                "Compression less than 100 is not supported for PNG output format.", "output_compression"
            )
        return self

    def today(self) -> dict[str, Any]:
        """Today's options given, for the exchange rules see."""
        return self.model_dump(
            include=set(TodayOptions.model_fields) - set(ImageOptions.model_fields), exclude_none=True
        )


class CreateImageRequest(TodayOptions):
    style: str | None = None
    moderation: str | None = None
    prompt: str

    @field_validator("style", "moderation", mode="before")
    @classmethod
    def _choice_of_generations(cls, value: Any, info: ValidationInfo) -> Any:
        model = rules.image_model(info)
        name = str(info.field_name)
        allowed = model.accepts.styles if name == "style" else model.accepts.moderation_levels
        return rules.choice(model, name, value, allowed)

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str, info: ValidationInfo) -> str:
        return rules.prompt(rules.image_model(info), value)


class FormFields(Schema):
    """Multipart fields are always text: integers are read from their digits, booleans from true/false."""

    @field_validator("n", "output_compression", "partial_images", mode="before", check_fields=False)
    @classmethod
    def _form_integer(cls, value: Any) -> Any:
        if isinstance(value, str) and _FORM_INTEGER.fullmatch(value):
            return int(value)
        return value

    @field_validator("stream", mode="before", check_fields=False)
    @classmethod
    def _form_boolean(cls, value: Any) -> Any:
        return _FORM_BOOLEANS.get(value, value) if isinstance(value, str) else value


ImageFiles = Annotated[PngUpload | list[PngUpload], UploadedFile]


class CreateImageEditRequest(FormFields, TodayOptions):
    operation: ClassVar[rules.Operation] = "edit"

    input_fidelity: str | None = None
    image: ImageFiles
    mask: Annotated[PngUpload | None, UploadedFile] = None
    prompt: str

    @field_validator("input_fidelity", mode="before")
    @classmethod
    def _fidelity(cls, value: Any, info: ValidationInfo) -> Any:
        model = rules.image_model(info)
        return rules.choice(model, "input_fidelity", value, ("high", "low") if model.accepts.input_fidelity else ())

    @field_validator("image", mode="before")
    @classmethod
    def _images(cls, value: Any, info: ValidationInfo) -> Any:
        """One PNG, square, for the 2023 model; for the GPT image models one or more of PNG, JPEG or WebP."""
        model = rules.image_model(info)
        if model.legacy or not model.gpt_image:
            if isinstance(value, list):
                raise rules.unrecognized("image[]")
            return require_square(read_png(value))
        images = value if isinstance(value, list) else [value]
        if not images or len(images) > MAX_INPUT_IMAGES:
            raise errors.invalid_param(f"Provide between 1 and {MAX_INPUT_IMAGES} images.", "image")
        return [read_input_image(image, "image") for image in images]

    @field_validator("mask", mode="before")
    @classmethod
    def _mask(cls, value: Any) -> Any:
        return read_png(value)

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str, info: ValidationInfo) -> str:
        return rules.prompt(rules.image_model(info), value)

    @model_validator(mode="after")
    def _something_to_edit(self) -> CreateImageEditRequest:
        """The area to repaint is the fully transparent pixels of the mask, else (2023) of the image: one
        must have some. A GPT image model's mask applies to the first image and needs an alpha channel."""
        first = self.images[0]
        if self.mask is None:
            if not isinstance(self.image, list):
                require_transparency("input", first, "image")
            return self
        if self.mask.image.size != first.image.size:
            raise errors.invalid_param(
                "Invalid mask image - mask and image must have the same dimensions, got "
                f"{dimensions(self.mask)} for the mask and {dimensions(first)} for the image.",
                "mask",
            )
        if isinstance(self.image, list) and not has_alpha(self.mask.image):
            raise errors.invalid_param("Invalid mask image - the mask must have an alpha channel.", "mask")
        require_transparency("mask", self.mask, "mask")
        return self

    @property
    def images(self) -> list[PngUpload]:
        return self.image if isinstance(self.image, list) else [self.image]

    def exchange_body(self) -> dict[str, Any]:
        files: dict[str, Any] = {"image": self.image.describe()} if not isinstance(self.image, list) else {}
        if isinstance(self.image, list):
            files["image"] = [image.describe() for image in self.image]
        if self.mask is not None:
            files["mask"] = self.mask.describe()
        return {"prompt": self.prompt, **files, **self.options(), **self.today()}


class CreateImageVariationRequest(FormFields, ImageOptions):
    operation: ClassVar[rules.Operation] = "variation"

    image: Annotated[PngUpload, UploadedFile]

    @field_validator("image", mode="before")
    @classmethod
    def _square(cls, value: Any) -> PngUpload:
        return require_square(read_png(value))

    def exchange_body(self) -> dict[str, Any]:
        return {"image": self.image.describe(), **self.options()}


# Answers (documentation of what the routes send).


class GeneratedImage(Schema):
    """One image: a link (`response_format: url`) or the image's bytes in base64 (`b64_json`); dall-e-3's
    own restatement of the prompt."""

    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None


class ImagesResponse(Schema):
    created: int
    data: list[GeneratedImage]
    # The GPT image models: what was made, and its token usage.
    background: str | None = None
    output_format: str | None = None
    size: str | None = None
    quality: str | None = None
    usage: dict[str, Any] | None = None


class ImageStreamEvent(Schema):
    """`stream: true` (GPT image models): `image_generation.partial_image` (or `image_edit.`) events, then
    `.completed`; named SSE events, no `[DONE]`."""

    type: str
    b64_json: str
    created_at: int
    size: str
    quality: str
    background: str
    output_format: str
    partial_image_index: int | None = None
    usage: dict[str, Any] | None = None
